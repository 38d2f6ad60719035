using MLNetVideo.Trainers.MoViNet.Modules;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// A MoViNet A0/A1/A2 network (Kondratyuk et al., CVPR 2021, arXiv:2103.11511), base or stream: maps clips
/// [N, 3, T, H, W] (RGB in [0, 1]) to logits [N, classes]. Module names follow the Atze00 PyTorch port
/// (<c>conv1</c>, <c>blocks.bX_lY.{expand,deep,se,project,res,alpha}</c>, <c>conv7</c>, <c>classifier.{0,3}</c>; see
/// <see cref="MoViNetWeights"/>).
/// </summary>
/// <remarks>
/// In stream mode <see cref="Module{T, TResult}.forward"/> runs the causal network on the whole clip (front-only zero
/// padding in time, cumulative SE pooling); a <see cref="MoViNetStream"/> gives the same logits chunk by chunk with
/// constant memory. The network itself holds no streaming state.
/// </remarks>
internal sealed class MoViNetNetwork : Module<Tensor, Tensor>, IMoViNetStreamSource
{
    private readonly ConvUnit conv1;
    private readonly ModuleDict<BottleneckBlock> blocks;
    private readonly ConvUnit conv7;
    private readonly Sequential classifier;
    private readonly Head _head;

    /// <summary>Builds the network on the CPU (PyTorch default initialisation, ReZero scales 0).</summary>
    /// <param name="spec">The architecture (<see cref="MoViNetSpec.TemporalEnsemble"/> is ignored here; see <see cref="MoViNetEnsembleNetwork"/>).</param>
    public MoViNetNetwork(MoViNetSpec spec) : base(nameof(MoViNetNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        bool causal = spec.Mode == MoViNetMode.Stream;
        var act = causal ? MoViNetActivation.HardSwish : MoViNetActivation.Swish;
        double eps = spec.BatchNormEps, momentum = spec.BatchNormMomentum;
        conv1 = new ConvUnit(3, spec.Stem.OutChannels, MoViNetStemSpec.Kernel, MoViNetStemSpec.Stride, false, false, true, act, causal, "stem", eps, momentum);
        blocks = new ModuleDict<BottleneckBlock>();
        foreach (var block in spec.Blocks)
            blocks.Add((block.Name, new BottleneckBlock(block, spec.Mode, eps, momentum, spec.Version1Activations)));
        var head = spec.Head;
        int last = spec.Blocks[^1].OutChannels;
        conv7 = new ConvUnit(last, head.ProjectChannels, Triple.One, Triple.One, false, false, true, act, causal, "head", eps, momentum);
        // The classifier MLP uses swish in both modes: Model Garden's MovinetClassifier activation defaults to swish and
        // the stream configurations only change the backbone's. (Stream models of content version 1 used hard swish.)
        var classifierAct = causal && spec.Version1Activations ? MoViNetActivation.HardSwish : MoViNetActivation.Swish;
        _head = new Head(head, spec.NumClasses, spec.DropoutRate, classifierAct, causal, eps, momentum);
        classifier = _head.Classifier;
        RegisterComponents();
    }

    /// <summary>The architecture.</summary>
    public MoViNetSpec Spec { get; }

    /// <summary>Logits for a batch of whole clips (causal in stream mode).</summary>
    /// <param name="clips">[N, 3, T, H, W], T ≥ 1, H and W ≥ <see cref="MoViNetSpecs.MinFrameSize"/>.</param>
    /// <returns>[N, classes].</returns>
    public override Tensor forward(Tensor clips) => Forward(clips, null, perFrame: false);

    /// <summary>Stream mode: the logits after every frame of a whole clip, from the cumulative head pooling (what a stream
    /// returns after pushing frames 0..t).</summary>
    /// <param name="clips">[N, 3, T, H, W].</param>
    /// <returns>[N, T, classes].</returns>
    public Tensor ForwardPerFrame(Tensor clips)
    {
        if (Spec.Mode != MoViNetMode.Stream)
            throw new InvalidOperationException("Per-frame logits are defined only for the causal stream network (MoViNetMode.Stream).");
        return Forward(clips, null, perFrame: true);
    }

    /// <summary>The network with an explicit state (null = whole clip).</summary>
    internal Tensor Forward(Tensor clips, MoViNetStreamState? state, bool perFrame)
    {
        if (clips.dim() != 5 || clips.shape[1] != 3 || clips.shape[2] < 1 || clips.shape[3] < MoViNetSpecs.MinFrameSize || clips.shape[4] < MoViNetSpecs.MinFrameSize)
            throw new ArgumentException(
                $"MoViNet expects clips [N, 3, T, H, W] with T >= 1 and H, W >= {MoViNetSpecs.MinFrameSize}; got [{string.Join(", ", clips.shape)}].",
                nameof(clips));
        if (state is not null && Spec.Mode != MoViNetMode.Stream)
            throw new InvalidOperationException("Only the stream network (MoViNetMode.Stream) can run with a streaming state.");
        using var scope = NewDisposeScope();
        var y = conv1.Forward(clips, state);
        foreach (var block in blocks.values())
            y = block.Forward(y, state);
        y = conv7.Forward(y, state);
        return _head.Forward(y, state, perFrame).MoveToOuterDisposeScope();
    }

    /// <summary>Number of learnable parameters (buffers excluded).</summary>
    /// <returns>The count.</returns>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Opens a streaming session on this stream-mode network, its state on <paramref name="device"/> (the device the
    /// network was moved to, which its owner records). Call <c>eval()</c> first: the session runs the network as it is.</summary>
    /// <param name="device">The network's device.</param>
    /// <returns>The session.</returns>
    public MoViNetStream CreateStream(Device device) => new([this], device);

    /// <summary>
    /// Names and shapes of the streaming state for a batch of <paramref name="batch"/> frames of
    /// <paramref name="height"/>×<paramref name="width"/> (stream mode): per layer with k_t &gt; 1 "bX_lY.stream_buffer"
    /// [N, C_expand, k_t − 1, H', W'] (H', W' after the layer's spatial stride, ceil division), per layer "bX_lY.se_pool_sum"
    /// [N, C_expand, 1, 1, 1], and "head.pool_sum" [N, C_head, 1, 1, 1]. Sizes never depend on the frames pushed.
    /// </summary>
    /// <param name="batch">Streams run side by side (N).</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <returns>Name → shape, in network order.</returns>
    public IReadOnlyList<KeyValuePair<string, long[]>> StateShapes(int batch, int height, int width)
    {
        if (Spec.Mode != MoViNetMode.Stream)
            return [];
        var shapes = new List<KeyValuePair<string, long[]>>();
        long h = (height + 1) / 2, w = (width + 1) / 2;
        foreach (var block in blocks.values())
        {
            var b = block.Spec;
            h = (h + b.Stride.H - 1) / b.Stride.H;
            w = (w + b.Stride.W - 1) / b.Stride.W;
            if (b.Kernel.T > 1)
                shapes.Add(new(block.Deep.StateName, [batch, b.ExpandChannels, b.Kernel.T - 1, h, w]));
            shapes.Add(new(block.Se.StateName, [batch, b.ExpandChannels, 1, 1, 1]));
        }
        shapes.Add(new(Head.PoolSumName, [batch, Spec.Head.ProjectChannels, 1, 1, 1]));
        return shapes;
    }
}
