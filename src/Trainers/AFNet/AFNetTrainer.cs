using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.TemporalClustering;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// Trains an AFNet (AF-ResNet) video classifier ("Look More but Care Less in Video Recognition", Zhang et al., NeurIPS 2022,
/// arXiv:2211.09992). Create it with <c>mlContext.MulticlassClassification.Trainers.AFNet(...)</c>.
/// </summary>
/// <remarks>
/// <para>A 2-D ResNet on every frame whose first three stages have two branches: an ample branch that sees every frame at
/// half width and half resolution, and a focal branch at full width that computes only the frames a navigation module
/// selects per block (hard Gumbel-Softmax, straight-through gradients). The loss is the cross-entropy plus
/// <see cref="Options.RatioLossWeight"/> · mean over the navigation modules of (r_target − selected fraction)², which drives
/// the fraction of computed frames towards <see cref="Options.TargetRatio"/>; r_target follows the reference curriculum
/// (1 until <see cref="Options.RatioScheduleBeginEpoch"/>, then two intermediate steps, RT from
/// <see cref="Options.RatioScheduleEndEpoch"/>). The Gumbel temperature decays per iteration from
/// <see cref="Options.TemperatureStart"/> to <see cref="Options.TemperatureEnd"/> over <see cref="Options.TemperatureDecayEpochs"/>.</para>
/// <para>Every epoch reports <c>SelectedFrameRatio</c> (mean selected fraction of the epoch's training batches),
/// <c>TargetRatio</c> and <c>Temperature</c> in <see cref="EpochMetrics.FamilyMetrics"/>; the fitted
/// <see cref="AFNetTransformer"/> writes the ratio of each row in a <c>SelectedFrameRatio</c> column and computes only the
/// selected frames in its focal branches.</para>
/// <para>The clip column holds [T, 3, H, W] (<see cref="VideoTrainerOptionsBase.ClipLayout"/> = Tchw, the default here) or
/// [3, T, H, W]; T is fixed by the training data (the navigation modules have one 2×2 map per frame); frames at least 32×32.
/// Spatial navigation (the paper's extension) is not implemented.</para>
/// <inheritdoc cref="VideoClassifierTrainerBase{TOptions, TSpec, TTransformer}" path="/remarks"/>
/// </remarks>
public sealed class AFNetTrainer : VideoClassifierTrainerBase<AFNetTrainer.Options, AFNetSpec, AFNetTransformer>
{
    internal static class Defaults
    {
        public const AFNetDepth Depth = AFNetDepth.ResNet50;
        public const double WidthMultiplier = 1.0;
        public const double TargetRatio = 0.5;
        public const double RatioLossWeight = 0.5;
        public const double TemperatureStart = 1.0;
        public const double TemperatureEnd = 0.01;
        public const int Epochs = 10;
        public const int BatchSize = 8;
        public const double LearningRate = 0.01;
        public const double WeightDecay = 5e-4;
        public const double DropoutRate = 0.5;
        public const double GradientClipNorm = 20;
        public const double BatchNormMomentum = 0.1;
        public const int ReferenceEpochs = 55;
        public const int ReferenceRatioBegin = 10;
        public const int ReferenceRatioEnd = 20;
        public const int ReferenceTemperatureEnd = 50;
    }

    /// <summary>Settings of <see cref="AFNetTrainer"/>.</summary>
    public sealed class Options : VideoTrainerOptionsBase
    {
        /// <summary>Backbone: AF-ResNet-50 (reference) or AF-ResNet-18 (basic blocks, our extension). Default ResNet50.</summary>
        public AFNetDepth Depth { get; set; } = Defaults.Depth;

        /// <summary>Multiplies every channel count (1.0 = reference; 0.25 for tests; scaled widths are multiples of 16). Default 1.0.</summary>
        public double WidthMultiplier { get; set; } = Defaults.WidthMultiplier;

        /// <summary>Channel reduction of the ample branch (reference alpha): 1 or 2. Default 2.</summary>
        public int Alpha { get; set; } = 2;

        /// <summary>Groups of the focal blocks' convolutions (reference patch_groups). Default 2.</summary>
        public int PatchGroups { get; set; } = 2;

        /// <summary>Temporal shift in every block (AFNet-TSM). Default true.</summary>
        public bool Shift { get; set; } = true;

        /// <summary>1 / the fraction of channels shifted each way. Default 8.</summary>
        public int ShiftDivisor { get; set; } = TemporalShift.DefaultFoldDivisor;

        /// <summary>RT: the fraction of frames the focal branches should compute, in (0, 1]. Default 0.5.</summary>
        public double TargetRatio { get; set; } = Defaults.TargetRatio;

        /// <summary>λ, the weight of the ratio loss. Default 0.5 (reference).</summary>
        public double RatioLossWeight { get; set; } = Defaults.RatioLossWeight;

        /// <summary>Epoch (0-based) from which the target leaves 1.0 (reference rt_begin = 10 of 55). Null = round(10/55 · Epochs).</summary>
        public int? RatioScheduleBeginEpoch { get; set; }

        /// <summary>Epoch from which the target is <see cref="TargetRatio"/> (reference rt_end = 20 of 55). Null = round(20/55 · Epochs).</summary>
        public int? RatioScheduleEndEpoch { get; set; }

        /// <summary>Gumbel-Softmax temperature at the start (t0). Default 1.</summary>
        public double TemperatureStart { get; set; } = Defaults.TemperatureStart;

        /// <summary>Temperature reached at <see cref="TemperatureDecayEpochs"/> and kept afterwards (t1). Default 0.01.</summary>
        public double TemperatureEnd { get; set; } = Defaults.TemperatureEnd;

        /// <summary>Epochs of exponential per-iteration decay (reference t_end = 50 of 55). Null = 50/55 · Epochs.</summary>
        public double? TemperatureDecayEpochs { get; set; }

        /// <summary>Expected frame side (square frames); null = whatever the clip column holds (at least 32).</summary>
        public int? FrameSize { get; set; }

        /// <summary>Batch-norm momentum (PyTorch convention). Default 0.1.</summary>
        public double BatchNormMomentum { get; set; } = Defaults.BatchNormMomentum;

        /// <summary>Multiplier of the learning rate for the navigation modules (<c>list_gen</c>). Default 1 (the reference).
        /// The gates start with a keep/skip logit gap of 9, which the ratio loss closes only over the reference's tens of
        /// thousands of steps. On a small dataset or a short run, a large value (≈ 300 with AdamW at 3e-3) together with a
        /// slow temperature decay (<see cref="TemperatureDecayEpochs"/> well beyond <c>Epochs</c>, so the soft
        /// Gumbel-Softmax still passes gradient) lets the gates learn to skip frames within a few epochs.</summary>
        public double NavigationLearningRateScale { get; set; } = 1.0;

        /// <summary>Receives the per-batch navigation diagnostics (<see cref="AFNetTrainer.StepDiagnosticNames"/>); for experiments
        /// and tests. The same figures go to TensorBoard as <c>AFNet/step/*</c> when <see cref="VideoTrainerOptionsBase.TensorBoardLogFolder"/> is set.</summary>
        internal Action<IReadOnlyDictionary<string, double>>? StepDiagnostics { get; set; }

        /// <summary>Creates options with the AFNet defaults (AF-ResNet-50, clips [T, 3, H, W], 10 epochs, batch 8, SGD momentum 0.9,
        /// lr 0.01 cosine, weight decay 5e-4, gradient-norm clip 20, dropout 0.5, RT 0.5, λ 0.5).</summary>
        public Options()
        {
            ClipLayout = ClipLayout.Tchw;
            Epochs = Defaults.Epochs;
            BatchSize = Defaults.BatchSize;
            LearningRate = Defaults.LearningRate;
            WeightDecay = Defaults.WeightDecay;
            DropoutRate = Defaults.DropoutRate;
            GradientClipNorm = Defaults.GradientClipNorm;
        }

        /// <summary>The epoch the ratio curriculum starts, after defaults.</summary>
        internal int RatioBegin => RatioScheduleBeginEpoch ?? (int)Math.Round((double)Defaults.ReferenceRatioBegin * Epochs / Defaults.ReferenceEpochs);

        /// <summary>The epoch the ratio curriculum reaches RT, after defaults.</summary>
        internal int RatioEnd => RatioScheduleEndEpoch ?? (int)Math.Round((double)Defaults.ReferenceRatioEnd * Epochs / Defaults.ReferenceEpochs);

        /// <summary>The temperature decay length, after defaults.</summary>
        internal double TemperatureEpochs => TemperatureDecayEpochs ?? (double)Defaults.ReferenceTemperatureEnd * Epochs / Defaults.ReferenceEpochs;

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            OptionChecks.Defined(Depth, nameof(Depth));
            OptionChecks.InRange(WidthMultiplier, 1.0 / 64, 4.0, nameof(WidthMultiplier));
            if (Alpha is not (1 or 2))
                throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, $"Alpha must be 1 or 2; got {Alpha}.");
            OptionChecks.Positive(PatchGroups, nameof(PatchGroups));
            if (ShiftDivisor < 2)
                throw new ArgumentOutOfRangeException(nameof(ShiftDivisor), ShiftDivisor, $"ShiftDivisor must be at least 2; got {ShiftDivisor}.");
            if (!(TargetRatio > 0 && TargetRatio <= 1))
                throw new ArgumentOutOfRangeException(nameof(TargetRatio), TargetRatio, $"TargetRatio must lie in (0, 1]; got {TargetRatio}.");
            OptionChecks.NonNegative(RatioLossWeight, nameof(RatioLossWeight));
            if (RatioScheduleBeginEpoch is { } begin)
                OptionChecks.NonNegative(begin, nameof(RatioScheduleBeginEpoch));
            if (RatioScheduleEndEpoch is { } end)
                OptionChecks.NonNegative(end, nameof(RatioScheduleEndEpoch));
            if (RatioEnd < RatioBegin)
                throw new ArgumentOutOfRangeException(nameof(RatioScheduleEndEpoch), RatioEnd,
                    $"RatioScheduleEndEpoch ({RatioEnd}) must not be before RatioScheduleBeginEpoch ({RatioBegin}).");
            OptionChecks.Positive(TemperatureStart, nameof(TemperatureStart));
            OptionChecks.Positive(TemperatureEnd, nameof(TemperatureEnd));
            if (TemperatureDecayEpochs is { } decay)
                OptionChecks.NonNegative(decay, nameof(TemperatureDecayEpochs));
            if (FrameSize is { } size && size < AFNetSpecs.MinFrameSize)
                throw new ArgumentOutOfRangeException(nameof(FrameSize), size, $"FrameSize must be at least {AFNetSpecs.MinFrameSize} for AFNet; got {size}.");
            OptionChecks.InRange(BatchNormMomentum, 0, 1, nameof(BatchNormMomentum));
            OptionChecks.InRange(NavigationLearningRateScale, 1e-3, 1e3, nameof(NavigationLearningRateScale));
        }
    }

    private double _target = 1.0;
    private double _temperature = 1.0;
    private double _ratioSum;
    private long _ratioBatches;
    private Dictionary<string, double>? _step;

    /// <summary>The per-batch diagnostics written as TensorBoard scalars <c>AFNet/step/{name}</c> (with
    /// <see cref="VideoTrainerOptionsBase.TensorBoardLogFolder"/>): the ratio loss, the norm of its gradient at the navigation
    /// logits, the straight-through factor ∂mask/∂(keep logit) = p(1 − p)/τ of the soft Gumbel sample (mean and max over all
    /// decisions: where it is ~0 the ratio loss cannot move the gates), the keep − skip logit margin (mean, min, max), the
    /// fraction of frames the noise-free argmax would select (what inference does), the sampled ratio, the target and τ.</summary>
    public static IReadOnlyList<string> StepDiagnosticNames { get; } =
        ["RatioLoss", "RatioLossGradientNorm", "StraightThroughFactorMean", "StraightThroughFactorMax", "MarginMean", "MarginMin", "MarginMax",
         "ArgmaxRatio", "SampledRatio", "TargetRatio", "Temperature"];

    internal AFNetTrainer(IHostEnvironment environment, Options options) : base(environment, options)
    {
    }

    /// <inheritdoc />
    protected override string FamilyName => "AFNet";

    /// <inheritdoc />
    protected override ClipLayout NetworkLayout => ClipLayout.Tchw;

    /// <inheritdoc />
    protected override IReadOnlyList<string> ExtraOutputColumns => [AFNetTransformer.SelectedFrameRatioColumnName];

    /// <inheritdoc />
    protected override AFNetSpec CreateSpec(ClipGeometry clip, int numClasses)
    {
        if (clip.Channels != 3 || clip.Height < AFNetSpecs.MinFrameSize || clip.Width < AFNetSpecs.MinFrameSize)
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName,
                $"3 channels and frames of at least {AFNetSpecs.MinFrameSize}×{AFNetSpecs.MinFrameSize}", clip.ToString());
        if (TrainerOptions.FrameSize is { } size && (size != clip.Height || size != clip.Width))
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName, $"frames of {size}×{size} (FrameSize)", clip.ToString());
        var spec = new AFNetSpec
        {
            Depth = TrainerOptions.Depth,
            NumClasses = numClasses,
            Frames = clip.Frames,
            WidthMultiplier = TrainerOptions.WidthMultiplier,
            Alpha = TrainerOptions.Alpha,
            PatchGroups = TrainerOptions.PatchGroups,
            Shift = TrainerOptions.Shift,
            ShiftDivisor = TrainerOptions.ShiftDivisor,
            DropoutRate = TrainerOptions.DropoutRate,
            BatchNorm = TsmBatchNorm.Reference with { Momentum = TrainerOptions.BatchNormMomentum },
        };
        spec.Validate();
        return spec;
    }

    /// <inheritdoc />
    protected override nn.Module<Tensor, Tensor> CreateNetwork(AFNetSpec spec) => new AFNetNetwork(spec);

    /// <inheritdoc />
    protected override double LearningRateScale(string parameterName)
        => parameterName.Contains(".list_gen.", StringComparison.Ordinal) ? TrainerOptions.NavigationLearningRateScale : 1.0;

    /// <inheritdoc />
    protected override void OnTrainingBatch(nn.Module<Tensor, Tensor> network, TrainingPosition position)
    {
        var o = TrainerOptions;
        if (position.Batch == 0)
            (_ratioSum, _ratioBatches) = (0, 0);
        _target = AFNetSchedules.TargetRatio(position.Epoch, o.TargetRatio, o.RatioBegin, o.RatioEnd);
        _temperature = AFNetSchedules.Temperature(position.FractionalEpoch, o.TemperatureStart, o.TemperatureEnd, o.TemperatureEpochs);
        ((AFNetNetwork)network).Temperature = _temperature;
    }

    /// <inheritdoc />
    protected override Tensor? AuxiliaryLoss(nn.Module<Tensor, Tensor> network, Tensor logits, Tensor labels)
    {
        var masks = ((AFNetNetwork)network).LastMasks;
        if (masks.Count == 0)
            return null;
        var means = stack([.. masks.Select(m => m.mean())]);
        double sampled = means.mean().item<float>();
        _ratioSum += sampled;
        _ratioBatches++;
        var loss = RatioLoss(masks, _target, TrainerOptions.RatioLossWeight);
        var logitsList = ((AFNetNetwork)network).LastNavigationLogits;
        _step = TrainerOptions.TensorBoardLogFolder is null && TrainerOptions.StepDiagnostics is null || logitsList.Count != masks.Count
            ? null
            : Diagnose(loss, masks, logitsList, sampled);
        return loss;
    }

    // The gradients the ratio loss sends to the navigation logits, and the straight-through factor that scales them (each
    // mask element depends only on its own logit pair, so ∂Σmask/∂keep-logit is that factor element-wise).
    private Dictionary<string, double> Diagnose(Tensor ratioLoss, IReadOnlyList<Tensor> masks, IReadOnlyList<Tensor> logits, double sampled)
    {
        using var scope = NewDisposeScope();
        var inputs = logits.ToArray();
        var ratioGradients = autograd.grad([ratioLoss], inputs, retain_graph: true, allow_unused: true);
        var maskSum = stack([.. masks.Select(m => m.sum())]).sum();
        var factors = autograd.grad([maskSum], inputs, retain_graph: true, allow_unused: true);
        double squares = ratioGradients.Where(g => g is not null && !g.IsInvalid).Sum(g => g.pow(2).sum().item<float>());
        var factor = cat([.. factors.Select(f => f.select(2, 1).reshape(-1))]).abs();
        var margin = cat([.. inputs.Select(l => (l.select(2, 1) - l.select(2, 0)).detach().reshape(-1))]);
        return new Dictionary<string, double>
        {
            ["RatioLoss"] = ratioLoss.item<float>(),
            ["RatioLossGradientNorm"] = Math.Sqrt(squares),
            ["StraightThroughFactorMean"] = factor.mean().item<float>(),
            ["StraightThroughFactorMax"] = factor.max().item<float>(),
            ["MarginMean"] = margin.mean().item<float>(),
            ["MarginMin"] = margin.min().item<float>(),
            ["MarginMax"] = margin.max().item<float>(),
            ["ArgmaxRatio"] = margin.gt(0).to(ScalarType.Float32).mean().item<float>(),
            ["SampledRatio"] = sampled,
            ["TargetRatio"] = _target,
            ["Temperature"] = _temperature,
        };
    }

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, double>? BatchFamilyMetrics(nn.Module<Tensor, Tensor> network)
    {
        if (_step is null)
            return null;
        TrainerOptions.StepDiagnostics?.Invoke(_step);
        return _step;
    }

    /// <summary>λ · (1/M) Σ_m (target − mean(mask_m))², each mean over the whole batch and all frames (the reference's ratio loss).</summary>
    /// <param name="masks">The M masks [N, T].</param>
    /// <param name="target">r_target.</param>
    /// <param name="weight">λ.</param>
    /// <returns>A scalar tensor.</returns>
    public static Tensor RatioLoss(IReadOnlyList<Tensor> masks, double target, double weight)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Count == 0)
            throw new ArgumentException("At least one mask is needed.", nameof(masks));
        var means = stack([.. masks.Select(m => m.mean())]);
        return (target - means).pow(2).mean() * weight;
    }

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, double>? EpochFamilyMetrics(nn.Module<Tensor, Tensor> network)
        => new Dictionary<string, double>
        {
            ["SelectedFrameRatio"] = _ratioBatches > 0 ? _ratioSum / _ratioBatches : double.NaN,
            ["TargetRatio"] = _target,
            ["Temperature"] = _temperature,
        };

    /// <inheritdoc />
    protected override AFNetTransformer CreateTransformer(AFNetSpec spec, nn.Module<Tensor, Tensor> network, VideoClassifierInfo info,
        IReadOnlyDictionary<string, object?> trainingOptions)
        => new(Environment, spec, network, info, trainingOptions);
}
