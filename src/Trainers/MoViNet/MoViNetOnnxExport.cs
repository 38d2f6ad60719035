using System.Globalization;
using MLNetVideo.Onnx;
using MLNetVideo.Trainers.MoViNet.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// Writes a MoViNet network (evaluation mode) as an ONNX graph: the whole-clip classifier (base or stream network, or the
/// temporal ensemble; input <c>clips</c> [batch, 3, T, H, W], output <c>logits</c>; public through
/// <see cref="VideoClassifierOnnx.ExportNetworkGraph"/>), or a trained stream model's step with its state as explicit inputs
/// and outputs (<see cref="ExportStreamStep(VideoClassifierTransformer{MoViNetSpec}, string, int)"/>).
/// </summary>
/// <remarks>
/// <para>Standard operators only: Conv (3-D, depthwise as grouped), BatchNormalization, Sigmoid/HardSwish/HardSigmoid,
/// Pad (TF 'same' pads, computed from the fixed frame size), AveragePool without the pads in the count (the skip pool),
/// ReduceMean, CumSum (causal squeeze-excitation), Concat, Slice with step 2 (the ensemble's even and odd frames).</para>
/// <para>Stream step: for every causal temporal conv an input <c>{block}.stream_buffer</c> [batch, C, kt − 1, h, w] (the
/// last kt − 1 frames it saw), for every squeeze-excitation <c>{block}.se_pool_sum</c> and for the head
/// <c>head.pool_sum</c> [batch, C, 1, 1, 1] (running sums of frame means), and <c>frames_seen</c> [1] (float); each state
/// has an output <c>{name}.next</c>. Start with zeros and 0, feed each step's outputs to the next step and add the step's
/// frames to <c>frames_seen</c>: the logits are those of <see cref="MoViNetStream.Push(Tensor)"/>.</para>
/// </remarks>
public static class MoViNetOnnxExport
{
    /// <summary>Name of the frames-seen input of a stream step.</summary>
    public const string FramesSeenName = "frames_seen";

    /// <summary>Suffix of a stream step's updated-state outputs.</summary>
    public const string NextSuffix = ".next";

    /// <summary>Exports the whole-clip classifier for clips of <paramref name="frames"/> frames of
    /// <paramref name="height"/>×<paramref name="width"/> (base network, or stream network run from an empty state).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="frames">T, at least 1.</param>
    /// <param name="height">H, at least <see cref="MoViNetSpecs.MinFrameSize"/>.</param>
    /// <param name="width">W, at least <see cref="MoViNetSpecs.MinFrameSize"/>.</param>
    internal static void Export(MoViNetNetwork network, string path, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(network);
        Check(frames, height, width);
        Write(network, path, frames, height, width, null);
    }

    /// <summary>Exports the temporal ensemble's whole-clip classifier for clips of <paramref name="frames"/> frames of
    /// <paramref name="height"/>×<paramref name="width"/>: <c>model_0</c> on the even frames, <c>model_1</c> on the odd
    /// frames (Slice with step 2), logits averaged. Weights keep their <c>model_0.</c> / <c>model_1.</c> state-dict names.</summary>
    /// <param name="network">The ensemble.</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="frames">T, at least 2.</param>
    /// <param name="height">H, at least <see cref="MoViNetSpecs.MinFrameSize"/>.</param>
    /// <param name="width">W, at least <see cref="MoViNetSpecs.MinFrameSize"/>.</param>
    internal static void Export(MoViNetEnsembleNetwork network, string path, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(network);
        Check(frames, height, width);
        Write(network, path, frames, height, width, null);
    }

    internal static void Write(MoViNetNetwork network, string path, int frames, int height, int width, VideoOnnxExport.ScoringInput? scoring)
    {
        CheckActivations(network.Spec);
        var spec = network.Spec;
        VideoOnnxExport.Write(network, path, "MoViNet", spec, [3, frames, height, width],
            (g, state, clips) =>
            {
                var logits = new Builder(g, spec, state, stream: false, member: "").Build(clips, frames, height, width);
                Logits(g, logits, spec.NumClasses);
            }, scoring);
    }

    internal static void Write(MoViNetEnsembleNetwork network, string path, int frames, int height, int width, VideoOnnxExport.ScoringInput? scoring)
    {
        if (frames < 2)
            throw new ArgumentException($"The MoViNet temporal ensemble exports clips of at least 2 frames; got {frames}.", nameof(frames));
        CheckActivations(network.Spec);
        var spec = network.Spec;
        VideoOnnxExport.Write(network, path, "MoViNet", spec, [3, frames, height, width],
            (g, state, clips) =>
            {
                // As MoViNetEnsembleNetwork.forward: frames 0, 2, 4 … to model_0 and 1, 3, 5 … to model_1.
                var even = g.Slice(clips, 2, 0, frames, 2);
                var odd = g.Slice(clips, 2, 1, frames, 2);
                var l0 = new Builder(g, spec, state, stream: false, member: "model_0.").Build(even, (frames + 1) / 2, height, width);
                var l1 = new Builder(g, spec, state, stream: false, member: "model_1.").Build(odd, frames / 2, height, width);
                Logits(g, g.Node("Div", [g.Add(l0, l1), g.Scalar(2)]), spec.NumClasses);
            }, scoring, new Dictionary<string, string> { ["mlnetvideo_temporal_ensemble"] = "true" });
    }

    /// <summary>The classifier's [batch, classes, 1, 1, 1] logits as the graph output [batch, classes].</summary>
    private static void Logits(OnnxGraph g, string logits, int classes)
    {
        g.Node("Reshape", [logits, g.Int64s(0, -1)], VideoOnnxExport.OutputName);
        g.Output(VideoOnnxExport.OutputName, -1, classes);
    }

    /// <summary>Exports the stream step of a trained stream model (<see cref="MoViNetMode.Stream"/>) for
    /// <paramref name="frames"/> new frames at the model's frame size, with the state as inputs and outputs (see the remarks).
    /// The whole-clip graph of any model is <see cref="VideoClassifierOnnx.ExportNetworkGraph"/>.</summary>
    /// <param name="model">A trained MoViNet stream model (not a temporal ensemble).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="frames">Frames per step, at least 1.</param>
    /// <returns>The state inputs and their shapes (batch as −1), in the graph's order.</returns>
    /// <exception cref="InvalidOperationException">The model is a base model or a temporal ensemble.</exception>
    public static IReadOnlyList<KeyValuePair<string, long[]>> ExportStreamStep(VideoClassifierTransformer<MoViNetSpec> model, string path, int frames = 1)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Network is not MoViNetNetwork network)
            throw new InvalidOperationException("A MoViNet temporal ensemble (TemporalEnsemble = true) has no stream step graph (its two members take alternate frames); VideoClassifierOnnx.ExportNetworkGraph writes its whole-clip classifier.");
        return ExportStreamStep(network, path, frames, model.Info.Clip.Height, model.Info.Clip.Width);
    }

    /// <summary>Exports the stream network's step for <paramref name="frames"/> new frames of
    /// <paramref name="height"/>×<paramref name="width"/>, with the state as inputs and outputs (see the remarks).</summary>
    /// <param name="network">A stream network (<see cref="MoViNetMode.Stream"/>).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="frames">Frames per step, at least 1.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <returns>The state inputs and their shapes (batch as −1), in the graph's order.</returns>
    internal static IReadOnlyList<KeyValuePair<string, long[]>> ExportStreamStep(MoViNetNetwork network, string path, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.Spec.Mode != MoViNetMode.Stream)
            throw new InvalidOperationException("Only the stream network (MoViNetMode.Stream) has a stream step; the base network's convs look at future frames.");
        Check(frames, height, width);
        CheckActivations(network.Spec);
        var spec = network.Spec;
        IReadOnlyList<KeyValuePair<string, long[]>> states = [];
        VideoOnnxExport.Write(network, path, "MoViNet", spec, [3, frames, height, width],
            (g, state, clips) =>
            {
                var builder = new Builder(g, spec, state, stream: true, member: "");
                Logits(g, builder.Build(clips, frames, height, width), spec.NumClasses);
                states = builder.States;
            }, null,
            new Dictionary<string, string> { ["mlnetvideo_stream_step"] = frames.ToString(CultureInfo.InvariantCulture) });
        return states;
    }

    private static void CheckActivations(MoViNetSpec spec)
    {
        if (spec.Version1Activations)
            throw new NotSupportedException("This MoViNet was loaded from a version-1 model zip and keeps that version's stream activations, which the ONNX exporter does not write; it scores with TorchSharp.");
    }

    private static void Check(int frames, int height, int width)
    {
        if (frames < 1 || height < MoViNetSpecs.MinFrameSize || width < MoViNetSpecs.MinFrameSize)
            throw new ArgumentException($"MoViNet exports clips of at least 1 frame of {MoViNetSpecs.MinFrameSize}²; got {frames} of {height}×{width}.");
    }

    /// <summary>Writes one MoViNet's nodes; <paramref name="member"/> prefixes its state-dict (and weight) names
    /// (<c>model_0.</c> in an ensemble, empty otherwise).</summary>
    private sealed class Builder(OnnxGraph g, MoViNetSpec spec, Func<string, Tensor> state, bool stream, string member)
    {
        private readonly bool _causal = spec.Mode == MoViNetMode.Stream;
        private readonly List<KeyValuePair<string, long[]>> _states = [];
        private string _seen = "";
        private long _t;

        /// <summary>The stream step's state inputs, in graph order (after <see cref="Build"/>).</summary>
        public IReadOnlyList<KeyValuePair<string, long[]>> States => _states;

        /// <summary>Writes the network on <paramref name="x"/> ([batch, 3, frames, h, w]) and returns its logits
        /// [batch, classes, 1, 1, 1].</summary>
        public string Build(string x, int frames, long h, long w)
        {
            _t = frames;
            if (stream)
                _seen = g.Input(FramesSeenName, 1);
            var act = _causal ? MoViNetActivation.HardSwish : MoViNetActivation.Swish;
            x = Unit(x, member + "conv1", 3, spec.Stem.OutChannels, MoViNetStemSpec.Kernel, MoViNetStemSpec.Stride, false, true, act, "stem", ref h, ref w);
            foreach (var block in spec.Blocks)
            {
                if (block.Stride.T != 1)
                    throw new NotSupportedException($"Block {block.Name} has a temporal stride; the ONNX exporter supports temporal stride 1 only.");
                string prefix = $"{member}blocks.{block.Name}";
                long hIn = h, wIn = w;
                string skip = x;
                if (block.ProjectedSkip)
                {
                    long hs = h, ws = w;
                    string pooled = x;
                    string projection = prefix + ".res.0";
                    if (block.Stride.H != 1 || block.Stride.W != 1)
                    {
                        pooled = SkipPool(x, block.Stride, ref hs, ref ws);
                        projection = prefix + ".res.1";
                    }
                    skip = Unit(pooled, projection, block.InChannels, block.OutChannels, Triple.One, Triple.One, false, true, MoViNetActivation.None, block.Name, ref hs, ref ws);
                }
                (h, w) = (hIn, wIn);
                var y = Unit(x, prefix + ".expand", block.InChannels, block.ExpandChannels, Triple.One, Triple.One, false, true, act, block.Name, ref h, ref w);
                y = Unit(y, prefix + ".deep", block.ExpandChannels, block.ExpandChannels, block.Kernel, block.Stride, true, true, act, block.Name, ref h, ref w);
                y = Excite(y, prefix + ".se", block.ExpandChannels, act, block.Name, h, w);
                y = Unit(y, prefix + ".project", block.ExpandChannels, block.OutChannels, Triple.One, Triple.One, false, true, MoViNetActivation.None, block.Name, ref h, ref w);
                x = g.Add(skip, g.Mul(g.Weight(prefix + ".alpha", state(prefix + ".alpha")), y));
            }
            x = Unit(x, member + "conv7", spec.Blocks[^1].OutChannels, spec.Head.ProjectChannels, Triple.One, Triple.One, false, true, act, "head", ref h, ref w);
            return Head(x);
        }

        private string StateInput(string name, long[] dims)
        {
            _states.Add(new(name, dims));
            return g.Input(name, dims);
        }

        private void StateOutput(string name, string value, long[] dims)
        {
            g.Node("Identity", [value], name + NextSuffix);
            g.Output(name + NextSuffix, dims);
        }

        /// <summary>1, 2 … t as [1, 1, t, 1, 1], offset by frames_seen in a stream step.</summary>
        private string Counts()
        {
            var counts = g.Floats([.. Enumerable.Range(1, (int)_t).Select(i => (float)i)], 1, 1, _t, 1, 1);
            return stream ? g.Add(counts, _seen) : counts;
        }

        private string Activation(string x, MoViNetActivation kind) => kind switch
        {
            MoViNetActivation.None => x,
            MoViNetActivation.Swish => g.Mul(x, g.Unary("Sigmoid", x)),
            MoViNetActivation.HardSwish => g.Unary("HardSwish", x),
            MoViNetActivation.Sigmoid => g.Unary("Sigmoid", x),
            MoViNetActivation.HardSigmoid => g.Node("HardSigmoid", [x], null, ("alpha", 0.2f), ("beta", 0.5f)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        private string ConvBlock(string x, string prefix, Triple kernel, Triple stride, long groups, bool norm, MoViNetActivation activation)
        {
            var weight = g.Weight(prefix + ".conv3d.weight", state(prefix + ".conv3d.weight"));
            string? bias = norm ? null : g.Weight(prefix + ".conv3d.bias", state(prefix + ".conv3d.bias"));
            var y = g.Conv(x, weight, kernel.ToArray(), bias, stride.ToArray(), null, groups);
            if (norm) y = g.BatchNorm(y, prefix + ".norm", state, spec.BatchNormEps);
            return Activation(y, activation);
        }

        /// <summary>A ConvUnit: TF 'same' spatial pads, then the (possibly causal, possibly buffered) conv(s).</summary>
        private string Unit(string x, string prefix, long inChannels, long outChannels, Triple kernel, Triple stride, bool depthwise, bool norm,
            MoViNetActivation activation, string stateName, ref long h, ref long w)
        {
            var (top, bottom) = ConvUnit.SamePad(h, kernel.H, stride.H);
            var (left, right) = ConvUnit.SamePad(w, kernel.W, stride.W);
            x = g.Pad(x, 0, 0, 0, top, left, 0, 0, 0, bottom, right);
            (h, w) = ((h + stride.H - 1) / stride.H, (w + stride.W - 1) / stride.W);
            long groups = depthwise ? inChannels : 1;
            if (!(_causal && kernel.T > 1))
            {
                long total = kernel.T - 1;
                x = g.Pad(x, 0, 0, total / 2, 0, 0, 0, 0, total - (total / 2), 0, 0);
                return ConvBlock(x, prefix + ".conv_1", kernel, stride, groups, norm, activation);
            }
            var y = ConvBlock(x, prefix + ".conv_1", kernel with { T = 1 }, stride, groups, norm, activation);
            long keep = kernel.T - 1;
            string full;
            if (!stream)
            {
                full = g.Pad(y, 0, 0, keep, 0, 0, 0, 0, 0, 0, 0);
            }
            else
            {
                string name = $"{stateName}.stream_buffer";
                long[] dims = [-1, outChannels, keep, h, w];
                full = g.Concat(2, StateInput(name, dims), y);
                StateOutput(name, g.Slice(full, 2, _t, _t + keep), dims);
            }
            return ConvBlock(full, prefix + ".conv_2", new Triple(kernel.T, 1, 1), Triple.One, depthwise ? outChannels : 1, norm, activation);
        }

        private string SkipPool(string x, Triple stride, ref long h, ref long w)
        {
            var kernel = new Triple(1, 3, 3);
            var (top, bottom) = ConvUnit.SamePad(h, kernel.H, stride.H);
            var (left, right) = ConvUnit.SamePad(w, kernel.W, stride.W);
            (h, w) = ((h + stride.H - 1) / stride.H, (w + stride.W - 1) / stride.W);
            return g.Node("AveragePool", [x], null, ("kernel_shape", kernel.ToArray()), ("strides", stride.ToArray()),
                ("pads", new long[] { 0, top, left, 0, bottom, right }), ("count_include_pad", 0L));
        }

        private string Excite(string x, string prefix, long channels, MoViNetActivation activation, string stateName, long h, long w)
        {
            string pooled;
            if (!_causal)
            {
                pooled = g.ReduceMean(x, [2, 3, 4], keepDims: true);
            }
            else
            {
                var frameMeans = g.ReduceMean(x, [3, 4], keepDims: true);
                var sums = g.Node("CumSum", [frameMeans, g.Int64Scalar(2)]);
                if (stream)
                {
                    string name = $"{stateName}.se_pool_sum";
                    long[] dims = [-1, channels, 1, 1, 1];
                    sums = g.Add(sums, StateInput(name, dims));
                    StateOutput(name, g.Slice(sums, 2, _t - 1, _t), dims);
                }
                pooled = g.Concat(1, g.Node("Div", [sums, Counts()]), frameMeans);
            }
            var gate = ConvBlock(pooled, prefix + ".fc1.conv_1", Triple.One, Triple.One, 1, false, activation);
            gate = ConvBlock(gate, prefix + ".fc2.conv_1", Triple.One, Triple.One, 1, false, MoViNetActivation.None);
            return g.Mul(x, Activation(gate, _causal ? MoViNetActivation.HardSigmoid : MoViNetActivation.Sigmoid));
        }

        private string Head(string x)
        {
            var frameMeans = g.ReduceMean(x, [3, 4], keepDims: true);
            var sum = g.Node("ReduceSum", [frameMeans, g.Int64s(2)], null, ("keepdims", 1L));
            string pooled;
            if (stream)
            {
                long[] dims = [-1, spec.Head.ProjectChannels, 1, 1, 1];
                sum = g.Add(sum, StateInput(Modules.Head.PoolSumName, dims));
                StateOutput(Modules.Head.PoolSumName, sum, dims);
                pooled = g.Node("Div", [sum, g.Add(_seen, g.Scalar(_t))]);
            }
            else
            {
                pooled = g.Node("Div", [sum, g.Scalar(_t)]);
            }
            var hidden = ConvBlock(pooled, member + "classifier.0.conv_1", Triple.One, Triple.One, 1, false, MoViNetActivation.None);
            hidden = Activation(hidden, MoViNetActivation.Swish);
            return ConvBlock(hidden, member + "classifier.3.conv_1", Triple.One, Triple.One, 1, false, MoViNetActivation.None);
        }
    }
}
