using MLNetVideo.Runtime;
using MLNetVideo.Trainers.Tsm.Modules;
using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>
/// TSM-ResNet network ("TSM: Temporal Shift Module for Efficient Video Understanding", Lin, Gan, Han, ICCV 2019,
/// arXiv:1811.08383), optionally with the temporal clustering of "No frame left behind: Full Video Action Recognition"
/// (Liu et al., CVPR 2021, arXiv:2103.15395) after the first stage: maps clips [N, T, 3, H, W] to logits [N, classes].
/// </summary>
/// <remarks>
/// <para>State-dict names are torchvision's ResNet names (<c>conv1</c>, <c>bn1</c>, <c>layer1</c> … <c>layer4</c>, <c>fc</c>)
/// with the shifted convolution wrapped as <c>layerX.Y.conv1.net.weight</c>, so the TSM reference checkpoints import after
/// the renames in <see cref="TsmWeights"/> (<c>module.base_model.</c> → nothing, <c>module.new_fc.</c> → <c>fc.</c>) and
/// torchvision's ImageNet ResNet weights import after renaming <c>layerX.Y.conv1.weight</c> → <c>layerX.Y.conv1.net.weight</c>.</para>
/// <para>Forward: the T frames of each clip are folded into the batch ([N·T, 3, H, W]); the stem and <c>layer1</c> run on all
/// of them with shifts over T. With clustering on, <c>layer1</c>'s activations are clustered per video
/// (<see cref="TorchTemporalClustering.AggregateStacked"/>; assignment without gradient, merge by sum or mean with gradient) into
/// g pseudo-frames, and <c>layer2</c> … <c>layer4</c> run with shifts over g. The head averages each (pseudo-)frame's pooled
/// features, applies dropout and <c>fc</c>, and averages the logits over the frames (TSN/TSM average consensus).</para>
/// <para>Chunked first stage (<see cref="TsmSpec.ShallowChunkFrames"/>): each chunk of frames runs through the stem and
/// <c>layer1</c> with a halo of as many frames as <c>layer1</c> has blocks on each side, so every shift sees its true
/// neighbours and, in evaluation mode, the output equals the unchunked one. What it bounds: under <c>no_grad</c>/inference the
/// first stage's intermediate tensors exist for one chunk at a time, so memory is the chunk's working set plus
/// <c>layer1</c>'s output for all T frames (needed for clustering). What it does not bound by itself: in training, autograd keeps every
/// chunk's saved activations for the backward pass, so memory still grows with T (only transient buffers shrink). For that,
/// set <see cref="TsmSpec.RecomputeShallowStage"/>: the stage then runs without recording and is recomputed chunk by chunk in
/// the backward pass (<see cref="RecomputedShallowStage"/>; TorchSharp has no <c>torch.utils.checkpoint</c>). In training mode batch-norm statistics of the first
/// stage are computed per chunk (halo frames included), as with a smaller batch.</para>
/// <para>Online clustering (<see cref="TsmSpec.OnlineClustering"/>, the default when clustering is on): the first stage and the
/// clustering run chunk by chunk (<see cref="OnlineClusteredShallowStage"/>: a no-gradient pass for the Hamming counts, a
/// no-gradient pass for the cluster sums, a recomputation per chunk in the backward pass), so neither training nor inference
/// ever holds <c>layer1</c>'s output for all T frames: memory grows with T only by the input clip.</para>
/// <para>No hidden per-call state: T and g are derived from each call's input, so the network can serve concurrent
/// inference calls.</para>
/// </remarks>
internal sealed class TsmNetwork : Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly GcSafeBatchNorm bn1;
    private readonly ModuleList<TsmBlock> layer1;
    private readonly ModuleList<TsmBlock> layer2;
    private readonly ModuleList<TsmBlock> layer3;
    private readonly ModuleList<TsmBlock> layer4;
    private readonly Linear fc;

    /// <summary>Builds the network on the CPU with torchvision's initialisation (Kaiming-normal fan-out convs, unit BN).</summary>
    /// <param name="spec">The architecture.</param>
    public TsmNetwork(TsmSpec spec) : base(nameof(TsmNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        var bn = spec.BatchNorm;
        var (stem, planes) = spec.Widths();
        conv1 = Conv2d(3, stem, 7, stride: 2, padding: 3, bias: false);
        bn1 = GcSafeBatchNorm.For2d(stem, eps: bn.Eps, momentum: bn.Momentum);
        long channels = stem;
        var stages = new ModuleList<TsmBlock>[4];
        for (int s = 0; s < 4; s++)
        {
            var blocks = new List<TsmBlock>();
            for (int b = 0; b < spec.BlocksPerStage[s]; b++)
            {
                long stride = b == 0 && s > 0 ? 2 : 1;
                blocks.Add(spec.UsesBottleneck
                    ? new Bottleneck(channels, planes[s], stride, spec.ShiftDivisor, bn)
                    : new BasicBlock(channels, planes[s], stride, spec.ShiftDivisor, bn));
                channels = planes[s] * spec.Expansion;
            }
            stages[s] = new ModuleList<TsmBlock>(blocks.ToArray());
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3]);
        fc = Linear(channels, spec.NumClasses);
        RegisterComponents();
        Initialise();
    }

    /// <summary>The architecture this network was built from.</summary>
    public TsmSpec Spec { get; }

    private void Initialise() => ResNetInitialisation.ConvolutionsAndNorms(this);

    /// <summary>Logits for a batch of clips.</summary>
    /// <param name="clips">[N, T, 3, H, W] with H, W ≥ <see cref="TsmSpecs.MinFrameSize"/>.</param>
    /// <returns>[N, classes].</returns>
    public override Tensor forward(Tensor clips)
    {
        CheckInput(clips);
        using var scope = NewDisposeScope();
        var x = SampleFrames(clips);
        long videos = x.shape[0];
        int frames = (int)x.shape[1];
        Tensor y;
        int segments = frames;
        if (Spec.Clustering == TsmClustering.None)
        {
            y = Shallow(x);
        }
        else
        {
            y = Spec.OnlineClustering
                ? OnlineClusteredShallow(x)
                : TorchTemporalClustering.AggregateStacked(Shallow(x), frames, Spec.ClusterCount, Method(Spec.Clustering), Spec.Aggregation);
            segments = Spec.ClusterCount;
        }
        y = Stage(layer2, y, segments);
        y = Stage(layer3, y, segments);
        y = Stage(layer4, y, segments);
        return Head(y, videos, segments).MoveToOuterDisposeScope();
    }

    /// <summary>The first stage alone (frame sampling, stem and <c>layer1</c>, chunked as configured): [N, T, 3, H, W] →
    /// [N·T', C1, H/4, W/4] with T' the frames used. This is what clustering sees.</summary>
    /// <param name="clips">[N, T, 3, H, W].</param>
    /// <returns>The activations, frames stacked in the batch dimension.</returns>
    public Tensor ShallowActivations(Tensor clips)
    {
        CheckInput(clips);
        using var scope = NewDisposeScope();
        return Shallow(SampleFrames(clips)).MoveToOuterDisposeScope();
    }

    /// <summary>The deep stages and head alone: <c>layer2</c> … <c>layer4</c>, pooling, dropout, <c>fc</c> and consensus over
    /// <paramref name="segments"/> (pseudo-)frames per video.</summary>
    /// <param name="activations">[N·S, C1, h, w], for example (clustered) <see cref="ShallowActivations"/>.</param>
    /// <param name="segments">S, the (pseudo-)frames per video.</param>
    /// <returns>[N, classes].</returns>
    public Tensor DeepLogits(Tensor activations, int segments)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 1);
        if (activations.dim() != 4 || activations.shape[0] % segments != 0)
            throw new ArgumentException($"Expected [N·S, C, h, w] with S = {segments}; got [{string.Join(", ", activations.shape)}].", nameof(activations));
        using var scope = NewDisposeScope();
        var y = Stage(layer2, activations, segments);
        y = Stage(layer3, y, segments);
        y = Stage(layer4, y, segments);
        return Head(y, activations.shape[0] / segments, segments).MoveToOuterDisposeScope();
    }

    /// <summary>Number of learnable parameters (buffers excluded). Temporal shifts add none.</summary>
    /// <returns>The count.</returns>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    internal static ClusteringMethod Method(TsmClustering clustering) => clustering switch
    {
        TsmClustering.Cumulative => ClusteringMethod.Cumulative,
        TsmClustering.Slope => ClusteringMethod.Slope,
        _ => throw new ArgumentOutOfRangeException(nameof(clustering), clustering, "Clustering is off."),
    };

    private static void CheckInput(Tensor clips)
    {
        ArgumentNullException.ThrowIfNull(clips);
        if (clips.dim() != 5 || clips.shape[2] != 3 || clips.shape[3] < TsmSpecs.MinFrameSize || clips.shape[4] < TsmSpecs.MinFrameSize
            || clips.shape[0] < 1 || clips.shape[1] < 1 || clips.shape[1] > int.MaxValue)
            throw new ArgumentException(
                $"TSM expects clips [N, T, 3, H, W] with T >= 1 and H, W >= {TsmSpecs.MinFrameSize}; got [{string.Join(", ", clips.shape)}].",
                nameof(clips));
    }

    private Tensor SampleFrames(Tensor clips)
    {
        int frames = (int)clips.shape[1];
        if (Spec.SampledFrames == 0 || Spec.SampledFrames >= frames)
            return clips;
        var indices = TsmSpec.UniformIndices(frames, Spec.SampledFrames);
        return clips.index_select(1, tensor(indices).to(clips.device));
    }

    /// <summary>Stem + layer1 on [N, T, 3, H, W] → [N·T, C1, h, w], in chunks of frames with a halo when configured; with
    /// <see cref="TsmSpec.RecomputeShallowStage"/> in training, through <see cref="RecomputedShallowStage"/>.</summary>
    private Tensor Shallow(Tensor x)
    {
        if (Spec.RecomputeShallowStage && training && is_grad_enabled() && ShallowParameters().Any(p => p.requires_grad))
            return RecomputedShallowStage.apply([x, this, .. ShallowParameters()]);
        return ShallowDirect(x);
    }

    /// <summary>Stem + <c>layer1</c> + clustering on [N, T, 3, H, W] → [N·g, C1, h, w] without materialising <c>layer1</c>'s
    /// output for all frames (<see cref="OnlineClusteredShallowStage"/>). When nothing needs a gradient (inference), the two
    /// forward passes run directly.</summary>
    private Tensor OnlineClusteredShallow(Tensor x)
    {
        if (is_grad_enabled() && (x.requires_grad || ShallowParameters().Any(p => p.requires_grad)))
            return OnlineClusteredShallowStage.apply([x, this, .. ShallowParameters()]);
        using var noGrad = no_grad();
        var clusters = OnlineClusteredShallowStage.Assign(this, x);
        return OnlineClusteredShallowStage.Aggregate(this, x, clusters);
    }

    /// <summary>Frames per chunk of the online clustering path for a clip of <paramref name="frames"/> frames:
    /// <see cref="TsmSpec.ShallowChunkFrames"/>, or <see cref="TsmSpec.DefaultOnlineChunkFrames"/> when that is 0.</summary>
    internal int OnlineChunkFrames(int frames)
        => Math.Min(frames, Spec.ShallowChunkFrames > 0 ? Spec.ShallowChunkFrames : TsmSpec.DefaultOnlineChunkFrames);

    /// <summary>Saves the first stage's batch-norm buffers (in training; nothing to save in evaluation) and restores them when
    /// the returned object is disposed.</summary>
    internal ShallowStatisticsSnapshot SaveShallowStatistics()
        => new(training ? [.. bn1.buffers(), .. layer1.buffers()] : []);

    /// <summary>The first stage with whatever autograd mode is current.</summary>
    internal Tensor ShallowDirect(Tensor x)
    {
        long videos = x.shape[0];
        int frames = (int)x.shape[1];
        int chunk = Spec.ShallowChunkFrames;
        if (chunk == 0 || chunk >= frames)
            return FirstStage(x.reshape(videos * frames, x.shape[2], x.shape[3], x.shape[4]), frames);
        var parts = new List<Tensor>();
        for (int start = 0; start < frames; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            parts.Add(ShallowChunk(x, start, Math.Min(chunk, frames - start)).contiguous().MoveToOuterDisposeScope());
        }
        var all = cat(parts, 1);
        return all.reshape([videos * frames, .. all.shape[2..]]);
    }

    /// <summary>Frames [start, start + length) of the first stage's output, [N, length, C1, h, w], computed from the frames
    /// with a halo of as many frames as <c>layer1</c> has blocks (each block shifts by one frame, so after L blocks a frame
    /// depends on its ±L neighbours; at the video's ends the zeros of the shift are the true values).</summary>
    internal Tensor ShallowChunk(Tensor x, int start, int length)
    {
        var (lo, hi) = ShallowWindow((int)x.shape[1], start, length);
        return ShallowWindowOutput(x.narrow(1, lo, hi - lo), start - lo, length);
    }

    /// <summary>The input frames [lo, hi) that frames [start, start + length) of the first stage's output depend on.</summary>
    internal (int Lo, int Hi) ShallowWindow(int frames, int start, int length)
    {
        int halo = layer1.Count;
        return (Math.Max(0, start - halo), Math.Min(frames, start + length + halo));
    }

    /// <summary>The first stage on a window of input frames [N, W, 3, H, W] (see <see cref="ShallowWindow"/>), keeping output
    /// frames [offset, offset + length) of the window: [N, length, C1, h, w].</summary>
    /// <remarks>The halo shrinks by one frame on each side after every <c>layer1</c> block: block b's output is needed only
    /// within L − 1 − b frames of the kept ones (L blocks), and a frame whose neighbour was dropped is itself dropped before its
    /// error can reach a kept frame. The stem runs on the whole window, block b on 2·(L − b) halo frames.</remarks>
    internal Tensor ShallowWindowOutput(Tensor window, int offset, int length)
    {
        using var scope = NewDisposeScope();
        long videos = window.shape[0];
        int width = (int)window.shape[1];
        Tensor y;
        using (var stemScope = NewDisposeScope())
        {
            var frames = window.reshape(videos * width, window.shape[2], window.shape[3], window.shape[4]);
            var stem = functional.relu(bn1.call(conv1.call(frames)));
            y = functional.max_pool2d(stem, 3, stride: 2, padding: 1).MoveToOuterDisposeScope();
        }
        int lo = 0, hi = width;   // the frames of the window that y holds
        int blocks = layer1.Count;
        for (int b = 0; b < blocks; b++)
        {
            using var blockScope = NewDisposeScope();
            var z = layer1[b].call(y, hi - lo);
            int reach = blocks - 1 - b;
            int keptLo = Math.Max(lo, offset - reach), keptHi = Math.Min(hi, offset + length + reach);
            if (keptLo != lo || keptHi != hi)
                z = z.reshape([videos, hi - lo, .. z.shape[1..]]).narrow(1, keptLo - lo, keptHi - keptLo).reshape([videos * (keptHi - keptLo), .. z.shape[1..]]);
            (lo, hi) = (keptLo, keptHi);
            y = z.MoveToOuterDisposeScope();
        }
        return y.reshape([videos, length, .. y.shape[1..]]).MoveToOuterDisposeScope();
    }

    /// <summary>The first stage's parameters (<c>conv1</c>, <c>bn1</c>, <c>layer1</c>), in a fixed order.</summary>
    internal Parameter[] ShallowParameters() => [.. conv1.parameters(), .. bn1.parameters(), .. layer1.parameters()];

    /// <summary>Gradients of the first stage's parameters for the output gradient <paramref name="outputGradient"/>
    /// ([N·T, C1, h, w]), recomputing the stage chunk by chunk with gradients enabled.</summary>
    internal Tensor[] RecomputeShallowGradients(Tensor x, Tensor outputGradient, Parameter[] parameters)
    {
        using var enable = enable_grad();
        long videos = x.shape[0];
        int frames = (int)x.shape[1];
        int chunk = Spec.ShallowChunkFrames == 0 ? frames : Math.Min(Spec.ShallowChunkFrames, frames);
        var grouped = outputGradient.reshape([videos, frames, .. outputGradient.shape[1..]]);
        var sums = new Tensor?[parameters.Length];
        for (int start = 0; start < frames; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            int length = Math.Min(chunk, frames - start);
            var centre = ShallowChunk(x, start, length);
            var gradients = autograd.grad([centre], parameters, [grouped.narrow(1, start, length).contiguous()], allow_unused: true);
            for (int i = 0; i < parameters.Length; i++)
            {
                if (gradients[i] is not { IsInvalid: false } g)
                    continue;
                if (sums[i] is null)
                    sums[i] = g.MoveToOuterDisposeScope();
                else
                    sums[i]!.add_(g, HeldScalars.One);   // held alpha: HeldScalars
            }
        }
        return [.. sums.Select((g, i) => g ?? zeros_like(parameters[i]))];
    }

    private Tensor FirstStage(Tensor frames, int segments)
    {
        Tensor stem;
        using (var stemScope = NewDisposeScope())
        {
            var y = functional.relu(bn1.call(conv1.call(frames)));
            stem = functional.max_pool2d(y, 3, stride: 2, padding: 1).MoveToOuterDisposeScope();
        }
        return Stage(layer1, stem, segments);
    }

    /// <summary>Runs a stage block by block; each block's temporaries are released as soon as it returns (autograd keeps what
    /// the backward pass needs).</summary>
    private static Tensor Stage(ModuleList<TsmBlock> blocks, Tensor x, int segments)
    {
        var y = x;
        foreach (var block in blocks)
        {
            using var blockScope = NewDisposeScope();
            y = block.call(y, segments).MoveToOuterDisposeScope();
        }
        return y;
    }

    private Tensor Head(Tensor features, long videos, int segments)
    {
        var pooled = functional.adaptive_avg_pool2d(features, 1).flatten(1);
        if (Spec.DropoutRate > 0)
            pooled = functional.dropout(pooled, Spec.DropoutRate, training);
        var logits = fc.call(pooled);
        return logits.reshape(videos, segments, -1).mean([1L]);
    }
}
