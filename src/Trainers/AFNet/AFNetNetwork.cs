using MLNetVideo.Trainers.AFNet.Modules;
using MLNetVideo.Trainers.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// AF-ResNet video classifier ("Look More but Care Less in Video Recognition", Zhang et al., NeurIPS 2022,
/// arXiv:2211.09992): maps clips [N, T, 3, H, W] to logits [N, classes].
/// </summary>
/// <remarks>
/// <para>State-dict names follow the official <c>AF_ResNet.py</c> (<c>conv1</c>, <c>bn1</c>, <c>layer{1..3}.list_gen.i.{conv_pool,
/// bn, conv_gs}</c>, <c>layer{1..3}.base_module.i.*</c>, <c>.refine_module.i.*</c>, <c>.base_transform.{0,1}</c>,
/// <c>.att_gen.fc.{0,2}</c>, <c>.fusion.0.*</c>, <c>layer4.i.*</c>) with the video head <c>fc</c> (the reference's
/// <c>new_fc</c>, see <see cref="AFNetWeights"/>).</para>
/// <para>Frames are folded into the batch (TSN style). In each AF stage the ample branch sees every frame at half width and
/// half resolution; each focal block computes only the frames its navigation module selects. Navigation: hard Gumbel-Softmax
/// with the straight-through estimator at <see cref="Temperature"/> in training; at evaluation the decision is the
/// deterministic argmax of the logits (the reference also draws Gumbel noise at test time, which its README notes makes
/// results vary from run to run; we do not, so predictions are reproducible).</para>
/// <para>Training mode computes every frame in the focal blocks on the masked input (as the reference), so gradients
/// reach the navigation weights; the masks of the last training forward are kept in <see cref="LastMasks"/> for the ratio
/// loss. Eval mode gathers the selected frames, computes only them and adds the result back onto the shortcut of those
/// frames, and a skipped frame gets the branch's response to a zero frame, computed once (see
/// <see cref="AFNetRunOptions.SkipFrames"/>); both modes give the same function.</para>
/// <para>Spatial navigation (the paper's extension that also skips regions) is not implemented.</para>
/// </remarks>
internal sealed class AFNetNetwork : Module<Tensor, Tensor>, IVideoNetworkWithExtras
{
    private readonly Conv2d conv1;
    private readonly GcSafeBatchNorm bn1;
    private readonly AFModule layer1;
    private readonly AFModule layer2;
    private readonly AFModule layer3;
    private readonly ModuleList<AFBlock> layer4;
    private readonly Linear fc;

    /// <summary>Builds the network on the CPU with the reference initialisation: Kaiming-normal (fan-out) convolutions, unit
    /// BN, zero last BN in every ample block, fusion FCs N(0, 0.01), gate bias [1, 10] per frame (all frames selected).</summary>
    /// <param name="spec">The architecture.</param>
    public AFNetNetwork(AFNetSpec spec) : base(nameof(AFNetNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        var bn = spec.BatchNorm;
        var (stem, outputs) = spec.Widths();
        var blocks = spec.BlocksPerStage;
        conv1 = Conv2d(3, stem, 7, stride: 2, padding: 3, bias: false);
        bn1 = GcSafeBatchNorm.For2d(stem, eps: bn.Eps, momentum: bn.Momentum);
        layer1 = new AFModule(spec, stem, outputs[0], blocks[0], stride: 2);
        layer2 = new AFModule(spec, outputs[0], outputs[1], blocks[1], stride: 2);
        layer3 = new AFModule(spec, outputs[1], outputs[2], blocks[2], stride: 1);
        var deep = new List<AFBlock>();
        for (int b = 0; b < blocks[3]; b++)
            deep.Add(AFModule.Block(spec, b == 0 ? outputs[2] : outputs[3], outputs[3], b == 0 ? 2 : 1, 1, true, bn));
        layer4 = new ModuleList<AFBlock>([.. deep]);
        fc = Linear(outputs[3], spec.NumClasses);
        RegisterComponents();
        Initialise();
    }

    /// <summary>The architecture this network was built from.</summary>
    public AFNetSpec Spec { get; }

    /// <summary>Gumbel-Softmax temperature used by training-mode forwards (set per iteration by the trainer). Default 1.</summary>
    public double Temperature { get; set; } = 1.0;

    /// <summary>Multiplier of the Gumbel noise in training-mode forwards (1 = the reference; the trainer's short-run schedule
    /// anneals it to 0 so that the decisions trained on become the noise-free argmax used at inference). Default 1.</summary>
    public double NoiseScale { get; set; } = 1.0;

    /// <summary>The masks [N, T] of the last training-mode forward (one per navigation module, straight-through values), for
    /// the ratio loss; empty before the first one. They live in the dispose scope of that forward's caller.</summary>
    public IReadOnlyList<Tensor> LastMasks { get; private set; } = [];

    /// <summary>The navigation logits [N, T, 2] of the last training-mode forward (same lifetime as <see cref="LastMasks"/>), for
    /// the trainer's per-step diagnostics.</summary>
    public IReadOnlyList<Tensor> LastNavigationLogits { get; private set; } = [];

    private IEnumerable<AFModule> Stages => [layer1, layer2, layer3];

    private void Initialise()
    {
        using var noGrad = no_grad();
        ResNetInitialisation.ConvolutionsAndNorms(this);
        foreach (var block in Stages.SelectMany(s => s.AmpleBlocks).Concat(layer4))
            init.zeros_(block.LastNorm.weight);
        InitialiseGateBias(ReferenceGateBias.Skip, ReferenceGateBias.Keep);
    }

    /// <summary>The reference's <c>conv_gs</c> bias per frame: (skip 1, keep 10).</summary>
    public static (double Skip, double Keep) ReferenceGateBias => (1.0, 10.0);

    /// <summary>Sets every navigation module's <c>conv_gs</c> bias to (<paramref name="skip"/>, <paramref name="keep"/>) per frame
    /// (the network is built with <see cref="ReferenceGateBias"/>).</summary>
    /// <param name="skip">Bias of the skip logit.</param>
    /// <param name="keep">Bias of the keep logit.</param>
    public void InitialiseGateBias(double skip, double keep)
    {
        foreach (var navigation in Stages.SelectMany(s => s.NavigationModules))
            navigation.InitialiseGateBias(skip, keep);
    }

    /// <summary>Logits for a batch of clips (training mode: masks kept in <see cref="LastMasks"/>).</summary>
    /// <param name="clips">[N, T, 3, H, W] with T = <see cref="AFNetSpec.Frames"/>, H, W ≥ 32.</param>
    /// <returns>[N, classes].</returns>
    public override Tensor forward(Tensor clips)
    {
        var output = Run(clips);
        if (training)
        {
            LastMasks = output.Masks;
            LastNavigationLogits = output.NavigationLogits;
        }
        return output.Logits;
    }

    /// <summary>Logits and, per clip, the selected-frame ratio (the scoring transformer's <c>SelectedFrameRatio</c> column).</summary>
    /// <param name="clips">[N, T, 3, H, W].</param>
    /// <returns>Logits [N, classes] and extras [N, 1].</returns>
    (Tensor Logits, Tensor Extras) IVideoNetworkWithExtras.RunWithExtras(Tensor clips)
    {
        var output = Run(clips);
        return (output.Logits, output.SelectedFrameRatio.unsqueeze(1));
    }

    /// <summary>Runs the network and reports the navigation decisions (and, on request, the executed cost).</summary>
    /// <param name="clips">[N, T, 3, H, W].</param>
    /// <param name="options">Forced masks, tracing, skipping; null = defaults.</param>
    /// <returns>Logits, per-clip selected ratio, masks, trace.</returns>
    public AFNetOutput Run(Tensor clips, AFNetRunOptions? options = null)
    {
        CheckInput(clips);
        options ??= new AFNetRunOptions();
        long videos = clips.shape[0];
        int frames = Spec.Frames;
        if (options.ForcedMasks is { } forced)
        {
            if (forced.Count != Spec.NavigationCount || forced.Any(m => m is null || m.dim() != 2 || m.shape[0] != videos || m.shape[1] != frames))
                throw new ArgumentException(
                    $"ForcedMasks must hold {Spec.NavigationCount} tensors [N, T] = [{videos}, {frames}] (one per navigation module).", nameof(options));
        }
        bool skip = options.SkipFrames ?? !training;
        var trace = options.Trace ? new AFNetExecutionTrace((int)videos, frames) : null;
        var profile = options.Profile;
        profile?.Begin();
        var context = new AFContext(frames, Spec.Shift ? Spec.ShiftDivisor : 0, trace, profile, options.LeanFocalSums);
        bool sampleNoise = training;
        double temperature = Temperature, noiseScale = NoiseScale;
        var navigationLogits = new List<Tensor>();
        Tensor Sample(Tensor logits)
        {
            navigationLogits.Add(logits);
            return training
                ? GumbelSoftmax.HardStraightThrough(logits, temperature, sampleNoise, noiseScale).select(2, 1)
                : logits.argmax(2).to(logits.dtype);
        }
        Tensor? Forced(int index) => options.ForcedMasks?[index].to(clips.dtype).to(clips.device).alias();

        using var scope = NewDisposeScope();
        var masks = new List<Tensor>();
        var x = clips.reshape(videos * frames, clips.shape[2], clips.shape[3], clips.shape[4]);
        x = conv1.call(x);
        trace?.Conv(conv1, x);
        x = functional.max_pool2d(functional.relu(bn1.call(x)), 3, stride: 2, padding: 1);
        profile?.Mark("stem");
        foreach (var stage in Stages)
        {
            using var stageScope = NewDisposeScope();
            int before = masks.Count, logitsBefore = navigationLogits.Count;
            x = stage.Forward(x, context, Forced, Sample, skip, masks).MoveToOuterDisposeScope();
            for (int i = before; i < masks.Count; i++)
                masks[i] = masks[i].MoveToOuterDisposeScope();
            for (int i = logitsBefore; i < navigationLogits.Count; i++)
                navigationLogits[i] = navigationLogits[i].MoveToOuterDisposeScope();
        }
        foreach (var block in layer4)
        {
            using var blockScope = NewDisposeScope();
            x = block.Ample(x, context).MoveToOuterDisposeScope();
        }
        profile?.Mark("layer4");
        var pooled = functional.adaptive_avg_pool2d(x, 1).flatten(1);
        if (Spec.DropoutRate > 0)
            pooled = functional.dropout(pooled, Spec.DropoutRate, training);
        var logits = fc.call(pooled);
        trace?.Linear(fc, frames);
        logits = logits.reshape(videos, frames, -1).mean([1L]);
        var ratio = masks.Count == 0 ? ones(videos, dtype: logits.dtype, device: logits.device) : stack(masks.Select(m => m.mean([1L])).ToArray(), 1).mean([1L]);
        profile?.Mark("head (pool, fc, mean) and ratio");
        return new AFNetOutput(logits.MoveToOuterDisposeScope(), ratio.MoveToOuterDisposeScope(), [.. masks.Select(m => m.MoveToOuterDisposeScope())], trace)
        {
            NavigationLogits = [.. navigationLogits.Select(l => l.MoveToOuterDisposeScope())],
        };
    }

    /// <summary>Evenly spaced masks that select round(<paramref name="ratio"/> · T) frames of every clip (at least one) for
    /// every navigation module: the forced masks used to time a given ratio.</summary>
    /// <param name="videos">N.</param>
    /// <param name="ratio">Fraction of frames to select, in [0, 1].</param>
    /// <returns><see cref="AFNetSpec.NavigationCount"/> tensors [N, T] of 0/1 (float32, CPU).</returns>
    public IReadOnlyList<Tensor> UniformMasks(long videos, double ratio)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(videos, 1);
        if (!(ratio >= 0 && ratio <= 1))
            throw new ArgumentOutOfRangeException(nameof(ratio), ratio, $"The ratio must lie in [0, 1]; got {ratio}.");
        int frames = Spec.Frames;
        int keep = (int)Math.Round(ratio * frames, MidpointRounding.AwayFromZero);
        var row = new float[frames];
        foreach (long index in keep == 0 ? [] : UniformFrames.Indices(frames, keep))
            row[index] = 1f;
        return [.. Enumerable.Range(0, Spec.NavigationCount).Select(_ => tensor(row).unsqueeze(0).expand(videos, frames).contiguous())];
    }

    /// <summary>Number of learnable parameters (buffers excluded).</summary>
    /// <returns>The count.</returns>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>The navigation modules' parameters (what the ratio loss trains directly).</summary>
    /// <returns>conv_pool, bn and conv_gs parameters of every navigation module.</returns>
    public IEnumerable<Parameter> NavigationParameters() => Stages.SelectMany(s => s.NavigationModules).SelectMany(n => n.parameters());

    private void CheckInput(Tensor clips)
    {
        ArgumentNullException.ThrowIfNull(clips);
        if (clips.dim() != 5 || clips.shape[1] != Spec.Frames || clips.shape[2] != 3
            || clips.shape[3] < AFNetSpecs.MinFrameSize || clips.shape[4] < AFNetSpecs.MinFrameSize || clips.shape[0] < 1)
            throw new ArgumentException(
                $"AFNet expects clips [N, T, 3, H, W] with T = {Spec.Frames} (the navigation modules are built per frame) and H, W >= {AFNetSpecs.MinFrameSize}; got [{string.Join(", ", clips.shape)}].",
                nameof(clips));
    }
}
