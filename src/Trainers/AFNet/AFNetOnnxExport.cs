using MLNetVideo.Onnx;
using MLNetVideo.Trainers.Common;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>Writes an <see cref="AFNetNetwork"/> at inference (evaluation mode) as an ONNX graph: input <c>clips</c>
/// [batch, T, 3, H, W], output <c>logits</c> [batch, classes] (see <see cref="VideoOnnxExport"/>).</summary>
/// <remarks>
/// The navigation's hard selection is expressed with standard operators, per clip and data-dependent as in TorchSharp: the
/// mask is <c>Greater(logit_keep, logit_skip)</c> (argmax, ties to "skip"), and every focal block computes
/// <c>branch(shift(x) · mask) + shortcut(x)</c>. In evaluation mode that equals what TorchSharp computes by gathering the
/// selected frames (a skipped frame's branch sees zeros either way), so the logits match; what the graph does not keep is
/// the saving: ONNX Runtime runs the focal branch on every frame. The selected-frame ratio is not an output.
/// </remarks>
internal static class AFNetOnnxExport
{
    /// <summary>Exports <paramref name="network"/> for clips of its <see cref="AFNetSpec.Frames"/> frames of
    /// <paramref name="height"/>×<paramref name="width"/>.</summary>
    /// <param name="network">The network (its current weights and batch-norm statistics).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="height">H, at least <see cref="AFNetSpecs.MinFrameSize"/>.</param>
    /// <param name="width">W, at least <see cref="AFNetSpecs.MinFrameSize"/>.</param>
    public static void Export(AFNetNetwork network, string path, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (height < AFNetSpecs.MinFrameSize || width < AFNetSpecs.MinFrameSize)
            throw new ArgumentException($"AFNet exports frames of at least {AFNetSpecs.MinFrameSize}²; got {height}×{width}.");
        Write(network, path, height, width, null);
    }

    internal static void Write(AFNetNetwork network, string path, int height, int width, VideoOnnxExport.ScoringInput? scoring)
    {
        var spec = network.Spec;
        VideoOnnxExport.Write(network, path, "AFNet", spec, [spec.Frames, 3, height, width],
            (g, state, clips) => new Builder(g, spec, state).Build(clips, height, width), scoring);
    }

    private sealed class Builder(OnnxGraph g, AFNetSpec spec, Func<string, Tensor> state)
    {
        private readonly double _eps = spec.BatchNorm.Eps;
        private readonly long _frames = spec.Frames;

        public void Build(string x, long h, long w)
        {
            x = g.Reshape(x, -1, 3, h, w);
            x = g.Relu(OnnxVideoOps.ConvNorm(g, x, "conv1.weight", "bn1", state, _eps, stride: 2, padding: 3));
            (h, w) = (VideoOnnxExport.Out(h, 7, 2, 3, 3), VideoOnnxExport.Out(w, 7, 2, 3, 3));
            x = g.Node("MaxPool", [x], null, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
            (h, w) = (VideoOnnxExport.Out(h, 3, 2, 1, 1), VideoOnnxExport.Out(w, 3, 2, 1, 1));
            var (stem, outputs) = spec.Widths();
            var blocks = spec.BlocksPerStage;
            long channels = stem;
            long[] strides = [2, 2, 1];
            for (int s = 0; s < 3; s++)
            {
                x = Stage(x, $"layer{s + 1}", channels, outputs[s], blocks[s], strides[s], ref h, ref w);
                channels = outputs[s];
            }
            for (int b = 0; b < blocks[3]; b++)
            {
                long inChannels = b == 0 ? outputs[2] : outputs[3];
                x = Ample(x, $"layer4.{b}", inChannels, outputs[3], b == 0 ? 2 : 1, 1, true, ref h, ref w);
            }
            OnnxVideoOps.FrameAveragedHead(g, x, outputs[3], _frames, spec.NumClasses, state);
        }

        private string Stage(string x, string prefix, long inChannels, long outChannels, int blocks, long stride, ref long h, ref long w)
        {
            long ampleChannels = outChannels / spec.Alpha;
            int pairs = blocks - 1;
            string focal = x, ample = x;
            long fh = h, fw = w, ah = h, aw = w;
            long focalChannels = inChannels, ampleIn = inChannels;
            for (int i = 0; i < pairs; i++)
            {
                bool lastRelu = pairs == 1 || i < pairs - 1;
                var mask = Navigation(ample, $"{prefix}.list_gen.{i}");
                ample = Ample(ample, $"{prefix}.base_module.{i}", ampleIn, ampleChannels, i == 0 ? 2 : 1, 1, lastRelu, ref ah, ref aw);
                ampleIn = ampleChannels;
                focal = Block(focal, Shifted(focal, focalChannels, fh, fw), mask, $"{prefix}.refine_module.{i}", focalChannels, outChannels, 1,
                    spec.PatchGroups, lastRelu, ref fh, ref fw);
                focalChannels = outChannels;
            }
            if (spec.Alpha != 1)
                ample = OnnxVideoOps.ConvNorm(g, ample, $"{prefix}.base_transform.0.weight", $"{prefix}.base_transform.1", state, _eps);
            var fused = g.Relu(Fuse(ample, focal, $"{prefix}.att_gen", outChannels, ah, aw, fh, fw));
            (h, w) = (fh, fw);
            return Ample(fused, $"{prefix}.fusion.0", outChannels, outChannels, stride, 1, true, ref h, ref w);
        }

        /// <summary>The keep/skip mask [N·T, 1, 1, 1] of one navigation module.</summary>
        private string Navigation(string x, string prefix)
        {
            var gates = g.Node("GlobalAveragePool", [x]);
            gates = g.Conv(gates, g.Weight(prefix + ".conv_pool.weight", state(prefix + ".conv_pool.weight")), [1, 1]);
            gates = g.Relu(g.BatchNorm(gates, prefix + ".bn", state, _eps));
            gates = g.Reshape(gates, -1, 2 * _frames, 1, 1);
            gates = g.Conv(gates, g.Weight(prefix + ".conv_gs.weight", state(prefix + ".conv_gs.weight")), [1, 1],
                g.Weight(prefix + ".conv_gs.bias", state(prefix + ".conv_gs.bias")), groups: _frames);
            var logits = g.Reshape(gates, -1, _frames, 2);
            var keep = g.Node("Greater", [g.Slice(logits, 2, 1, 2), g.Slice(logits, 2, 0, 1)]);   // argmax = 1, ties to 0
            return g.Reshape(g.Node("Cast", [keep], null, ("to", 1L)), -1, 1, 1, 1);
        }

        private string Shifted(string x, long channels, long h, long w)
            => spec.Shift ? OnnxVideoOps.TemporalShift(g, x, _frames, channels, h, w, spec.ShiftDivisor) : x;

        private string Ample(string x, string prefix, long inChannels, long outChannels, long stride, long groups, bool lastRelu, ref long h, ref long w)
            => Block(x, Shifted(x, inChannels, h, w), null, prefix, inChannels, outChannels, stride, groups, lastRelu, ref h, ref w);

        /// <summary>An AF block: <c>branch(shifted · mask) + shortcut(x)</c>, ReLU when <paramref name="lastRelu"/>.</summary>
        private string Block(string x, string shifted, string? mask, string prefix, long inChannels, long outChannels, long stride, long groups,
            bool lastRelu, ref long h, ref long w)
        {
            var input = mask is null ? shifted : g.Mul(shifted, mask);
            string y;
            if (spec.UsesBottleneck)
            {
                y = g.Relu(OnnxVideoOps.ConvNorm(g, input, prefix + ".conv1.weight", prefix + ".bn1", state, _eps, groups: groups));
                y = g.Relu(OnnxVideoOps.ConvNorm(g, y, prefix + ".conv2.weight", prefix + ".bn2", state, _eps, stride, 1, groups));
                y = OnnxVideoOps.ConvNorm(g, y, prefix + ".conv3.weight", prefix + ".bn3", state, _eps, groups: groups);
            }
            else
            {
                y = g.Relu(OnnxVideoOps.ConvNorm(g, input, prefix + ".conv1.weight", prefix + ".bn1", state, _eps, stride, 1, groups));
                y = OnnxVideoOps.ConvNorm(g, y, prefix + ".conv2.weight", prefix + ".bn2", state, _eps, 1, 1, groups);
            }
            string residual = x;
            int index = 0;
            if (stride != 1)
            {
                residual = g.Node("AveragePool", [residual], null, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }),
                    ("pads", new long[] { 1, 1, 1, 1 }), ("count_include_pad", 1L));
                index++;
            }
            if (inChannels != outChannels)
                residual = OnnxVideoOps.ConvNorm(g, residual, $"{prefix}.downsample.{index}.weight", $"{prefix}.downsample.{index + 1}", state, _eps);
            (h, w) = (VideoOnnxExport.Out(h, 3, stride, 1, 1), VideoOnnxExport.Out(w, 3, stride, 1, 1));
            var sum = g.Add(y, residual);
            return lastRelu ? g.Relu(sum) : sum;
        }

        /// <summary>Dynamic fusion: attention from the pooled sum of both paths, then <c>focal + a·(upsampled ample − focal)</c>.</summary>
        private string Fuse(string ample, string focal, string prefix, long channels, long ah, long aw, long h, long w)
        {
            string upsampled = ample;
            if (ah != h || aw != w)
            {
                // Nearest neighbour as PyTorch computes it: source index ⌊dst · in / out⌋.
                upsampled = g.Node("Resize", [ample, "", "", g.Node("Concat", [g.Slice(g.Node("Shape", [ample]), 0, 0, 2), g.Int64s(h, w)], null, ("axis", 0L))], null,
                    ("mode", "nearest"), ("coordinate_transformation_mode", "asymmetric"), ("nearest_mode", "floor"));
            }
            var pooled = g.Add(g.Reshape(g.Node("GlobalAveragePool", [upsampled]), -1, channels), g.Reshape(g.Node("GlobalAveragePool", [focal]), -1, channels));
            var attention = g.Relu(g.Linear(pooled, prefix + ".fc.0", state, bias: false));
            attention = g.Unary("Sigmoid", g.Linear(attention, prefix + ".fc.2", state, bias: false));
            attention = g.Reshape(attention, -1, channels, 1, 1);
            return g.Add(focal, g.Mul(attention, g.Node("Sub", [upsampled, focal])));
        }
    }
}
