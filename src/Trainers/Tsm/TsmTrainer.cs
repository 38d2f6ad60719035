using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Trainers.Common;
using MLNetVideo.Transforms.TemporalClustering;
using static TorchSharp.torch;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>
/// Trains a TSM-ResNet video classifier ("TSM: Temporal Shift Module for Efficient Video Understanding", Lin, Gan, Han,
/// ICCV 2019, arXiv:1811.08383), optionally with the temporal clustering of "No frame left behind: Full Video Action
/// Recognition" (Liu et al., CVPR 2021, arXiv:2103.15395) inside the network. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.Tsm(...)</c>.
/// </summary>
/// <remarks>
/// <para>TSM is a 2-D ResNet run on every frame, with 1/8 of the channels shifted one frame forward and 1/8 one frame back
/// in time at the start of every residual branch (zero parameters, zero FLOPs). The logits of the frames are averaged.</para>
/// <para>With <see cref="Options.Clustering"/> on, the stem and <c>layer1</c> see <b>all</b> T frames of the clip (use the
/// all-frames sampling of <c>LoadVideoFrames</c>); their activations are cut per video into <see cref="Options.ClusterCount"/>
/// contiguous clusters by how much the binarised activations change, each cluster is merged (sum or mean), and the deeper
/// stages run on the g pseudo-frames only, so their cost and memory do not grow with T. Gradients reach every frame through
/// the merge (the assignment itself has none). With clustering off and <see cref="Options.SampledFrames"/> = 8 the network
/// is the plain TSM baseline on 8 uniformly sampled frames of the same column.</para>
/// <para>The clip column holds [T, 3, H, W] (<see cref="VideoTrainerOptionsBase.ClipLayout"/> = Tchw,
/// the default of this trainer) or [3, T, H, W]; frames at least 32×32; ImageNet mean/std normalisation suits imported
/// ResNet weights (<see cref="TsmWeights"/>). Cost per clip ≈ 0.79·T + 3.3·g GMACs for ResNet-50 at 224² with clustering,
/// 4.1·T without ("No Frame Left Behind", CVPR 2021).</para>
/// <inheritdoc cref="VideoClassifierTrainerBase{TOptions, TSpec}" path="/remarks"/>
/// </remarks>
public sealed class TsmTrainer : VideoClassifierTrainerBase<TsmTrainer.Options, TsmSpec>
{
    internal static class Defaults
    {
        public const TsmDepth Depth = TsmDepth.ResNet50;
        public const double WidthMultiplier = 1.0;
        public const int ShiftDivisor = TemporalShift.DefaultFoldDivisor;
        public const TsmClustering Clustering = TsmClustering.None;
        public const int ClusterCount = 8;
        public const ClusterAggregation Aggregation = ClusterAggregation.Sum;
        public const int Epochs = 10;
        public const int BatchSize = 8;
        public const double LearningRate = 0.01;
        public const double DropoutRate = 0.5;
        public const double BatchNormMomentum = 0.1;
    }

    /// <summary>Settings of <see cref="TsmTrainer"/>.</summary>
    public sealed class Options : PixelClipTrainerOptionsBase
    {
        /// <summary>Backbone depth: ResNet-18, -34 or -50. Default ResNet-50 (the TSM reference).</summary>
        public TsmDepth Depth { get; set; } = Defaults.Depth;

        /// <summary>1 / the fraction of channels shifted each way in time (the reference's shift_div). Default 8.</summary>
        public int ShiftDivisor { get; set; } = Defaults.ShiftDivisor;

        /// <summary>Temporal clustering after <c>layer1</c> ("No frame left behind"), or <see cref="TsmClustering.None"/> for
        /// plain TSM. Default None.</summary>
        public TsmClustering Clustering { get; set; } = Defaults.Clustering;

        /// <summary>g: clusters (pseudo-frames) per clip seen by <c>layer2</c> … <c>layer4</c> when clustering. Default 8.</summary>
        public int ClusterCount { get; set; } = Defaults.ClusterCount;

        /// <summary>How a cluster's frames are merged: sum (paper) or mean (reference code). Default Sum.</summary>
        public ClusterAggregation Aggregation { get; set; } = Defaults.Aggregation;

        /// <summary>Frames used per clip: <see langword="null"/> = all frames of the clip column; otherwise this many uniformly
        /// spaced frames (segment centres) are picked inside the network, which with clustering off gives the TSM baseline on
        /// uniformly sampled frames. Default null.</summary>
        public int? SampledFrames { get; set; }

        /// <summary>Frames per clip run through the first stage at a time (<see langword="null"/> = all at once, or 4 on the
        /// <see cref="OnlineClustering"/> path). Smaller chunks use less memory and more time (each chunk recomputes a halo of
        /// as many frames as <c>layer1</c> has blocks on each side). Default null.</summary>
        public int? ShallowChunkFrames { get; set; }

        /// <summary>With clustering on, compute the first stage and the clustering chunk by chunk so that memory does not hold
        /// <c>layer1</c>'s output for all frames (in training the stage is recomputed in the backward pass): peak memory of a
        /// step close to that of TSM on g frames, for about two more first-stage forward passes (see <see cref="TsmSpec.OnlineClustering"/>).
        /// Default true; false materialises the first stage's output for all frames.</summary>
        public bool OnlineClustering { get; set; } = true;

        /// <summary>Gradient checkpointing of the first stage in training: keep only <c>layer1</c>'s output and recompute stem +
        /// <c>layer1</c> (chunk by chunk) in the backward pass, so memory no longer holds every frame's intermediate activations.
        /// Same gradients for about one more first-stage forward per step. Only used where <see cref="OnlineClustering"/> is not
        /// (clustering off, or online clustering off). Default false.</summary>
        public bool RecomputeShallowStage { get; set; }

        /// <summary>TSN's partial batch norm for fine-tuning: every batch norm except the first (the stem's) keeps the
        /// statistics and affine parameters of <see cref="VideoTrainerOptionsBase.InitialWeights"/>, which the TSM reference
        /// does when it fine-tunes from ImageNet or Kinetics (small batches estimate statistics badly). Default false.</summary>
        public bool PartialBatchNorm { get; set; }

        /// <summary>Creates options with the TSM defaults (ResNet-50, clips [T, 3, H, W], 10 epochs, batch 8, SGD momentum 0.9,
        /// lr 0.01 cosine, dropout 0.5).</summary>
        public Options()
        {
            Epochs = Defaults.Epochs;
            BatchSize = Defaults.BatchSize;
            LearningRate = Defaults.LearningRate;
            DropoutRate = Defaults.DropoutRate;
        }

        /// <inheritdoc />
        private protected override (string Family, double MinWidthMultiplier, ClipRequirements Input) Limits => ("TSM", 1.0 / 64, TsmBackbone.Instance.InputFor(null));

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            OptionChecks.Defined(Depth, nameof(Depth));
            if (ShiftDivisor < 2)
                throw new ArgumentOutOfRangeException(nameof(ShiftDivisor), ShiftDivisor, $"ShiftDivisor must be at least 2; got {ShiftDivisor}.");
            OptionChecks.Defined(Clustering, nameof(Clustering));
            OptionChecks.Positive(ClusterCount, nameof(ClusterCount));
            OptionChecks.Defined(Aggregation, nameof(Aggregation));
            if (SampledFrames is { } sampled)
                OptionChecks.Positive(sampled, nameof(SampledFrames));
            if (ShallowChunkFrames is { } chunk)
                OptionChecks.Positive(chunk, nameof(ShallowChunkFrames));
        }
    }

    internal TsmTrainer(IHostEnvironment environment, Options options) : base(environment, options)
    {
    }

    /// <inheritdoc />
    protected override VideoBackbone<TsmSpec> Backbone => TsmBackbone.Instance;

    /// <inheritdoc />
    protected override TsmSpec CreateSpec(ClipGeometry clip, int numClasses)
    {
        var spec = new TsmSpec
        {
            Depth = TrainerOptions.Depth,
            NumClasses = numClasses,
            WidthMultiplier = TrainerOptions.WidthMultiplier,
            ShiftDivisor = TrainerOptions.ShiftDivisor,
            DropoutRate = TrainerOptions.DropoutRate,
            BatchNorm = TsmBatchNorm.Reference with { Momentum = TrainerOptions.BatchNormMomentum },
            Clustering = TrainerOptions.Clustering,
            ClusterCount = TrainerOptions.ClusterCount,
            Aggregation = TrainerOptions.Aggregation,
            SampledFrames = TrainerOptions.SampledFrames ?? 0,
            ShallowChunkFrames = TrainerOptions.ShallowChunkFrames ?? 0,
            RecomputeShallowStage = TrainerOptions.RecomputeShallowStage,
            OnlineClustering = TrainerOptions.OnlineClustering,
        };
        spec.Validate();
        return spec;
    }

    /// <summary>With <see cref="Options.PartialBatchNorm"/>: every batch norm but the first (the stem's), as TSN's partialBN.</summary>
    /// <param name="network">The network.</param>
    /// <returns>Module names.</returns>
    protected override IReadOnlyCollection<string> FrozenBatchNorms(nn.Module<Tensor, Tensor> network)
        => TrainerOptions.PartialBatchNorm ? StageIndex.AllButFirstBatchNorm(network) : [];
}
