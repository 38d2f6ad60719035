using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Weights;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.TemporalClustering;
using MLNetVideo.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// Trains an AFNet (AF-ResNet) video classifier ("Look More but Care Less in Video Recognition", Zhang et al., NeurIPS 2022,
/// arXiv:2211.09992). Create it with <c>mlContext.MulticlassClassification.Trainers.AFNet(...)</c>.
/// </summary>
/// <remarks>
/// <para>A 2-D ResNet on every frame whose first three stages have two branches: an ample branch that sees every frame at
/// half width and half resolution, and a focal branch at full width that computes only the frames a navigation module
/// selects per block (hard Gumbel-Softmax, straight-through gradients). The loss is the cross-entropy plus
/// λ · mean over the navigation modules of (r_target − selected fraction)², which drives the fraction of computed frames
/// towards <see cref="Options.TargetRatio"/>. How r_target, the Gumbel temperature and noise, the gates' initial bias, λ and
/// the navigation's learning rate evolve is <see cref="Options.Schedule"/>: <see cref="AFNetSchedule.ShortRun"/> (default;
/// every phase a fraction of the run asked for, reaches the target in a few hundred iterations) or
/// <see cref="AFNetSchedule.OfficialRecipe"/> (the paper's, for runs as long as its 55 epochs of Something-Something).</para>
/// <para>Every epoch reports <c>SelectedFrameRatio</c> (mean selected fraction of the epoch's training batches),
/// <c>GFLOPsPerClip</c> (what those selections cost per clip at inference), <c>TargetRatio</c>, <c>Temperature</c> and
/// <c>GumbelNoise</c> in <see cref="EpochMetrics.FamilyMetrics"/>; per batch, navigation diagnostics go to TensorBoard
/// (<see cref="StepDiagnosticNames"/>); the fitted
/// The fitted model writes the ratio of each row in a <c>SelectedFrameRatio</c> column and computes only the
/// selected frames in its focal branches.</para>
/// <para>The clip column holds [T, 3, H, W] (<see cref="VideoTrainerOptionsBase.ClipLayout"/> = Tchw, the default here) or
/// [3, T, H, W]; T is fixed by the training data (the navigation modules have one 2×2 map per frame); frames at least 32×32.
/// Spatial navigation (the paper's extension) is not implemented.</para>
/// <inheritdoc cref="VideoClassifierTrainerBase{TOptions, TSpec}" path="/remarks"/>
/// </remarks>
public sealed class AFNetTrainer : VideoClassifierTrainerBase<AFNetTrainer.Options, AFNetSpec>
{
    internal static class Defaults
    {
        public const AFNetDepth Depth = AFNetDepth.ResNet50;
        public const double WidthMultiplier = 1.0;
        public const double TargetRatio = 0.5;
        public const double TemperatureStart = 1.0;
        public const int Epochs = 10;
        public const int BatchSize = 8;
        public const double LearningRate = 0.01;
        public const double WeightDecay = 5e-4;
        public const double DropoutRate = 0.5;
        public const double GradientClipNorm = 20;
        public const double BatchNormMomentum = 0.1;

        // The reference recipe (official main.py / train_sth.sh / models.py get_optim_policies).
        public const int ReferenceEpochs = 55;
        public const int ReferenceRatioBegin = 10;
        public const int ReferenceRatioEnd = 20;
        public const int ReferenceTemperatureEnd = 50;
        public const double ReferenceFinalTemperature = 0.01;
        public const double ReferenceRatioLossWeight = 0.5;
        public const double ReferenceNavigationLearningRateScale = 10;

        // The short-run schedule (fractions of the run; chosen on the sample and two-leg sets, docs/components/AFNet.md).
        public const double ShortRunRatioBegin = 0;
        public const double ShortRunRatioEnd = 0.5;
        public const double ShortRunNoiseBegin = 0.5;
        public const double ShortRunNoiseEnd = 0.8;
        public const double ShortRunFinalTemperature = 1.0;
        public const double ShortRunRatioLossWeight = 16;
        public const double ShortRunNavigationLearningRateScale = 100;
        // AdamW's steps do not shrink with the gradient: at ×100 its gates flip within a few steps and settle on the same frames
        // for every clip, which cost 4.7 points of accuracy at RT 0.5 against RT 1 (mean of 3 seeds; ×30: 0.8, issue 19).
        public const double ShortRunAdamWNavigationLearningRateScale = 30;
        public const double ShortRunGateMargin = 3;
    }

    /// <summary>Settings of <see cref="AFNetTrainer"/>.</summary>
    public sealed class Options : PixelClipTrainerOptionsBase
    {
        /// <summary>Backbone: AF-ResNet-50 (reference) or AF-ResNet-18 (basic blocks, our extension). Default ResNet50.</summary>
        public AFNetDepth Depth { get; set; } = Defaults.Depth;

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

        /// <summary>How the navigation is trained: <see cref="AFNetSchedule.ShortRun"/> (default; reaches <see cref="TargetRatio"/>
        /// in runs of a few hundred iterations) or <see cref="AFNetSchedule.OfficialRecipe"/> (the paper's, for runs as long as
        /// the paper's). It gives the defaults of the options below that are left null.</summary>
        public AFNetSchedule Schedule { get; set; } = AFNetSchedule.ShortRun;

        /// <summary>λ, the weight of the ratio loss. Null = the schedule's: 16 (short run) or 0.5 (reference).</summary>
        public double? RatioLossWeight { get; set; }

        /// <summary>Epoch (0-based) from which the target leaves 1.0. Null = the schedule's: the start of the run, then a straight
        /// line per iteration (short run), or round(10/55 · Epochs), then two steps per epoch (reference rt_begin 10 of 55).</summary>
        public int? RatioScheduleBeginEpoch { get; set; }

        /// <summary>Epoch from which the target is <see cref="TargetRatio"/>. Null = the schedule's: half of the run (short run)
        /// or round(20/55 · Epochs) (reference rt_end 20 of 55).</summary>
        public int? RatioScheduleEndEpoch { get; set; }

        /// <summary>Gumbel-Softmax temperature at the start (t0). Default 1.</summary>
        public double TemperatureStart { get; set; } = Defaults.TemperatureStart;

        /// <summary>Temperature reached at <see cref="TemperatureDecayEpochs"/> and kept afterwards (t1). Null = the schedule's: 1
        /// (short run: τ only scales the straight-through gradient, and a lower τ starves the gates of it) or 0.01 (reference).</summary>
        public double? TemperatureEnd { get; set; }

        /// <summary>Epochs of exponential per-iteration decay. Null = the schedule's: Epochs (short run) or 50/55 · Epochs
        /// (reference t_end 50 of 55).</summary>
        public double? TemperatureDecayEpochs { get; set; }

        /// <summary>Keep − skip bias of every gate at the start. Null = the schedule's: 3 (short run: every frame kept with
        /// probability 0.95 under the Gumbel noise, inside the range where the straight-through gradient is alive) or 9
        /// (reference bias [1, 10]: saturated).</summary>
        public double? InitialGateMargin { get; set; }

        /// <summary>Multiplier of the learning rate for the navigation modules (<c>list_gen</c>, their own optimizer group).
        /// Null = the schedule's: short run 100 with SGD, 30 with AdamW (whose steps do not scale with the gradient); reference 10
        /// (its <c>lr_mult</c> for the navigation convolutions and BN).</summary>
        public double? NavigationLearningRateScale { get; set; }

        /// <summary>Receives the per-batch navigation diagnostics (<see cref="AFNetTrainer.StepDiagnosticNames"/>); for experiments
        /// and tests. The same figures go to TensorBoard as <c>AFNet/step/*</c> when <see cref="VideoTrainerOptionsBase.TensorBoardLogFolder"/> is set.</summary>
        internal Action<IReadOnlyDictionary<string, double>>? StepDiagnostics { get; set; }

        /// <summary>Short run: fraction of the run where the Gumbel noise starts to fall (internal, for experiments).</summary>
        internal double NoiseAnnealBegin { get; set; } = Defaults.ShortRunNoiseBegin;

        /// <summary>Short run: fraction of the run from which the Gumbel noise is 0 (internal, for experiments).</summary>
        internal double NoiseAnnealEnd { get; set; } = Defaults.ShortRunNoiseEnd;

        /// <summary>Creates options with the AFNet defaults (AF-ResNet-50, clips [T, 3, H, W], 10 epochs, batch 8, SGD momentum 0.9,
        /// lr 0.01 cosine, weight decay 5e-4, gradient-norm clip 20, dropout 0.5, RT 0.5, the short-run schedule).</summary>
        public Options()
        {
            Epochs = Defaults.Epochs;
            BatchSize = Defaults.BatchSize;
            LearningRate = Defaults.LearningRate;
            WeightDecay = Defaults.WeightDecay;
            DropoutRate = Defaults.DropoutRate;
            GradientClipNorm = Defaults.GradientClipNorm;
        }

        private bool Reference => Schedule == AFNetSchedule.OfficialRecipe;

        /// <summary>The epoch the reference ratio curriculum starts, after defaults.</summary>
        internal int RatioBegin => RatioScheduleBeginEpoch ?? (int)Math.Round((double)Defaults.ReferenceRatioBegin * Epochs / Defaults.ReferenceEpochs);

        /// <summary>The epoch the reference ratio curriculum reaches RT, after defaults.</summary>
        internal int RatioEnd => RatioScheduleEndEpoch ?? (int)Math.Round((double)Defaults.ReferenceRatioEnd * Epochs / Defaults.ReferenceEpochs);

        /// <summary>The short-run ramp of the target, as fractions of the run, after defaults.</summary>
        internal (double Begin, double End) RatioRamp => (
            RatioScheduleBeginEpoch is { } b ? (double)b / Epochs : Defaults.ShortRunRatioBegin,
            RatioScheduleEndEpoch is { } e ? (double)e / Epochs : Defaults.ShortRunRatioEnd);

        /// <summary>The temperature decay length, after defaults.</summary>
        internal double TemperatureEpochs => TemperatureDecayEpochs
            ?? (Reference ? (double)Defaults.ReferenceTemperatureEnd * Epochs / Defaults.ReferenceEpochs : Epochs);

        /// <summary>t1 after defaults.</summary>
        internal double FinalTemperature => TemperatureEnd ?? (Reference ? Defaults.ReferenceFinalTemperature : Defaults.ShortRunFinalTemperature);

        /// <summary>λ after defaults.</summary>
        internal double RatioWeight => RatioLossWeight ?? (Reference ? Defaults.ReferenceRatioLossWeight : Defaults.ShortRunRatioLossWeight);

        /// <summary>The navigation learning-rate multiplier after defaults.</summary>
        internal double NavigationScale => NavigationLearningRateScale
            ?? (Reference ? Defaults.ReferenceNavigationLearningRateScale
                : Optimizer == VideoOptimizer.AdamW ? Defaults.ShortRunAdamWNavigationLearningRateScale : Defaults.ShortRunNavigationLearningRateScale);

        /// <summary>The gates' initial (skip, keep) bias after defaults.</summary>
        internal (double Skip, double Keep) GateBias => InitialGateMargin is { } margin
            ? (0, margin)
            : Reference ? AFNetNetwork.ReferenceGateBias : (0, Defaults.ShortRunGateMargin);

        /// <inheritdoc />
        private protected override (string Family, double MinWidthMultiplier, ClipRequirements Input) Limits => ("AFNet", 1.0 / 64, AFNetBackbone.Instance.InputFor(null));

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            OptionChecks.Defined(Depth, nameof(Depth));
            OptionChecks.Defined(Schedule, nameof(Schedule));
            if (Alpha is not (1 or 2))
                throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, $"Alpha must be 1 or 2; got {Alpha}.");
            OptionChecks.Positive(PatchGroups, nameof(PatchGroups));
            if (ShiftDivisor < 2)
                throw new ArgumentOutOfRangeException(nameof(ShiftDivisor), ShiftDivisor, $"ShiftDivisor must be at least 2; got {ShiftDivisor}.");
            if (!(TargetRatio > 0 && TargetRatio <= 1))
                throw new ArgumentOutOfRangeException(nameof(TargetRatio), TargetRatio, $"TargetRatio must lie in (0, 1]; got {TargetRatio}.");
            if (RatioLossWeight is { } weight)
                OptionChecks.NonNegative(weight, nameof(RatioLossWeight));
            if (RatioScheduleBeginEpoch is { } begin)
                OptionChecks.NonNegative(begin, nameof(RatioScheduleBeginEpoch));
            if (RatioScheduleEndEpoch is { } end)
                OptionChecks.NonNegative(end, nameof(RatioScheduleEndEpoch));
            if (RatioEnd < RatioBegin || RatioRamp.End < RatioRamp.Begin)
                throw new ArgumentOutOfRangeException(nameof(RatioScheduleEndEpoch), RatioScheduleEndEpoch,
                    $"RatioScheduleEndEpoch ({RatioScheduleEndEpoch}) must not be before RatioScheduleBeginEpoch ({RatioScheduleBeginEpoch}).");
            OptionChecks.Positive(TemperatureStart, nameof(TemperatureStart));
            if (TemperatureEnd is { } t1)
                OptionChecks.Positive(t1, nameof(TemperatureEnd));
            if (TemperatureDecayEpochs is { } decay)
                OptionChecks.NonNegative(decay, nameof(TemperatureDecayEpochs));
            if (InitialGateMargin is { } margin)
                OptionChecks.InRange(margin, -20, 20, nameof(InitialGateMargin));
            if (NavigationLearningRateScale is { } scale)
                OptionChecks.InRange(scale, 1e-3, 1e3, nameof(NavigationLearningRateScale));
        }
    }

    private double _target = 1.0;
    private double _temperature = 1.0;
    private double _noise = 1.0;
    private double _ratioSum;
    private long _ratioBatches;
    private Dictionary<string, double>? _step;
    private (int Height, int Width) _frameSize;
    private (double Fixed, double[] PerFrame)? _cost;
    private double _macSum;

    /// <summary>The per-batch diagnostics written as TensorBoard scalars <c>AFNet/step/{name}</c> (with
    /// <see cref="VideoTrainerOptionsBase.TensorBoardLogFolder"/>): the ratio loss, the norm of its gradient at the navigation
    /// logits, the straight-through factor ∂mask/∂(keep logit) = p(1 − p)/τ of the soft Gumbel sample (mean and max over all
    /// decisions: where it is ~0 the ratio loss cannot move the gates), the keep − skip logit margin (mean, min, max), the
    /// fraction of frames the noise-free argmax would select (what inference does), the sampled ratio, the target and τ.</summary>
    public static IReadOnlyList<string> StepDiagnosticNames { get; } =
        ["RatioLoss", "RatioLossGradientNorm", "StraightThroughFactorMean", "StraightThroughFactorMax", "MarginMean", "MarginMin", "MarginMax",
         "ArgmaxRatio", "SampledRatio", "TargetRatio", "Temperature", "GumbelNoise"];

    internal AFNetTrainer(IHostEnvironment environment, Options options) : base(environment, options)
    {
    }

    /// <inheritdoc />
    protected override VideoBackbone<AFNetSpec> Backbone => AFNetBackbone.Instance;

    /// <inheritdoc />
    protected override AFNetSpec CreateSpec(ClipGeometry clip, int numClasses)
    {
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
        _frameSize = (clip.Height, clip.Width);
        return spec;
    }

    /// <summary>The backbone's network with the navigation gates' initial bias of <see cref="Options.InitialGateMargin"/>.</summary>
    /// <param name="spec">The spec.</param>
    /// <returns>The network.</returns>
    protected override nn.Module<Tensor, Tensor> CreateNetwork(AFNetSpec spec)
    {
        var network = (AFNetNetwork)Backbone.CreateNetwork(spec);
        var (skip, keep) = TrainerOptions.GateBias;
        network.InitialiseGateBias(skip, keep);
        return network;
    }

    /// <inheritdoc />
    protected override double LearningRateScale(string parameterName)
        => parameterName.Contains(".list_gen.", StringComparison.Ordinal) ? TrainerOptions.NavigationScale : 1.0;

    /// <inheritdoc />
    protected override void OnTrainingBatch(nn.Module<Tensor, Tensor> network, TrainingPosition position)
    {
        var o = TrainerOptions;
        if (position.Batch == 0)
            (_ratioSum, _ratioBatches, _macSum) = (0, 0, 0);
        _cost ??= CostModel((AFNetNetwork)network);
        _temperature = AFNetSchedules.Temperature(position.FractionalEpoch, o.TemperatureStart, o.FinalTemperature, o.TemperatureEpochs);
        if (o.Schedule == AFNetSchedule.OfficialRecipe)
        {
            _target = AFNetSchedules.TargetRatio(position.Epoch, o.TargetRatio, o.RatioBegin, o.RatioEnd);
            _noise = 1.0;
        }
        else
        {
            double progress = position.FractionalEpoch / o.Epochs;
            var (begin, end) = o.RatioRamp;
            _target = AFNetSchedules.LinearTargetRatio(progress, o.TargetRatio, begin, end);
            _noise = AFNetSchedules.NoiseScale(progress, o.NoiseAnnealBegin, o.NoiseAnnealEnd);
        }
        ((AFNetNetwork)network).Temperature = _temperature;
        ((AFNetNetwork)network).NoiseScale = _noise;
    }

    /// <inheritdoc />
    protected override Tensor? AuxiliaryLoss(nn.Module<Tensor, Tensor> network, Tensor logits, Tensor labels)
    {
        var masks = ((AFNetNetwork)network).LastMasks;
        if (masks.Count == 0)
            return null;
        var means = stack([.. masks.Select(m => m.mean())]);
        double sampled = means.mean().item<float>();
        if (_cost is { } cost)
        {
            // Selected frames per clip of each module, averaged over the batch → the MACs these masks cost at inference.
            var perModule = (means * masks[0].shape[1]).detach().cpu().data<float>().ToArray();
            _macSum += cost.Fixed + perModule.Select((k, m) => k * cost.PerFrame[m]).Sum();
        }
        _ratioSum += sampled;
        _ratioBatches++;
        var loss = RatioLoss(masks, _target, TrainerOptions.RatioWeight);
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
            ["GumbelNoise"] = _noise,
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
        // Scalars held across their native calls (not implicit: MLNetVideo.Runtime.HeldScalars says why); target − means is
        // computed as TorchSharp's operator does, −means + target.
        using var targetScalar = target.ToScalar();
        using var two = 2.ToScalar();
        using var weightScalar = weight.ToScalar();
        return means.negative().add(targetScalar, HeldScalars.One).pow(two).mean().mul(weightScalar);
    }

    /// <inheritdoc />
    protected override IReadOnlyDictionary<string, double>? EpochFamilyMetrics(nn.Module<Tensor, Tensor> network)
        => new Dictionary<string, double>
        {
            ["SelectedFrameRatio"] = _ratioBatches > 0 ? _ratioSum / _ratioBatches : double.NaN,
            ["GFLOPsPerClip"] = _ratioBatches > 0 && _cost is not null ? 2 * _macSum / _ratioBatches / 1e9 : double.NaN,
            ["TargetRatio"] = _target,
            ["Temperature"] = _temperature,
            ["GumbelNoise"] = _noise,
        };

    // What one clip costs at inference as a function of the frames each navigation module selects: MACs = Fixed +
    // Σ_m PerFrame[m]·k_m (executed-cost trace of one zero clip in eval mode: every module off, then one module on; the
    // navigation modules' own cost from a run where they decide). Eval mode draws no random numbers and leaves the BN
    // statistics alone, so training is unchanged.
    private (double Fixed, double[] PerFrame) CostModel(AFNetNetwork network)
    {
        bool training = network.training;
        network.eval();
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var device = TrainingDevice;
            int frames = network.Spec.Frames, modules = network.Spec.NavigationCount;
            var x = zeros(new long[] { 1, frames, 3, _frameSize.Height, _frameSize.Width }, device: device);
            var none = network.UniformMasks(1, 0);
            var all = network.UniformMasks(1, 1);
            double Macs(IReadOnlyList<Tensor>? forced) => network.Run(x, new AFNetRunOptions { ForcedMasks = forced, Trace = true }).Trace!.MultiplyAccumulates[0];
            double off = Macs(none);
            var perFrame = Enumerable.Range(0, modules).Select(m => (Macs([.. none.Select((z, i) => i == m ? all[i] : z)]) - off) / frames).ToArray();
            var decided = network.Run(x, new AFNetRunOptions { Trace = true });
            double navigation = decided.Trace!.MultiplyAccumulates[0] - Macs(decided.Masks);
            return (off + navigation, perFrame);
        }
        finally
        {
            network.train(training);
        }
    }
}
