using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// Trains a MoViNet A0/A1/A2 video classifier, base or stream (Kondratyuk et al., "MoViNets: Mobile Video Networks for
/// Efficient Video Recognition", CVPR 2021, arXiv:2103.11511) on a clip column and a key label column. Create it with
/// <c>mlContext.MulticlassClassification.Trainers.MoViNet(...)</c>.
/// </summary>
/// <remarks>
/// MoViNets are mobile inverted-bottleneck 3-D CNNs. The stream mode is causal: a model trained here (on whole clips, the
/// causal forward) can then classify live video frame by frame through <see cref="MoViNetStreaming.CreateStream(Microsoft.ML.ITransformer)"/> with
/// memory that does not grow with the video. The clip column holds [3, T, H, W] (or [T, 3, H, W] with
/// <see cref="VideoTrainerOptionsBase.ClipLayout"/> = Tchw) with frames of at least 32×32; the
/// official models take RGB in [0, 1] (no mean/std) at 172² (A0, A1) or 224² (A2), 50 frames at 5 fps.
/// <inheritdoc cref="VideoClassifierTrainerBase{TOptions, TSpec}" path="/remarks"/>
/// </remarks>
public sealed class MoViNetTrainer : VideoClassifierTrainerBase<MoViNetTrainer.Options, MoViNetSpec>
{
    internal static class Defaults
    {
        public const MoViNetVariant Variant = MoViNetVariant.A0;
        public const MoViNetMode Mode = MoViNetMode.Stream;
        public const double WidthMultiplier = 1.0;
        public const int ClassifierHiddenChannels = 2048;
        public const int Epochs = 10;
        public const int BatchSize = 8;
        public const double LearningRate = 0.01;
        public const double BatchNormMomentum = 0.1;
    }

    /// <summary>Settings of <see cref="MoViNetTrainer"/>.</summary>
    public sealed class Options : VideoTrainerOptionsBase
    {
        /// <summary>A0, A1 or A2. Default A0.</summary>
        public MoViNetVariant Variant { get; set; } = Defaults.Variant;

        /// <summary>Base (non-causal) or stream (causal, can stream). Default stream.</summary>
        public MoViNetMode Mode { get; set; } = Defaults.Mode;

        /// <summary>Multiplies the stem, block and head widths (1.0 = official tables; small values for tests). Default 1.0.</summary>
        public double WidthMultiplier { get; set; } = Defaults.WidthMultiplier;

        /// <summary>Hidden width of the classifier MLP. Default 2048 (official).</summary>
        public int ClassifierHiddenChannels { get; set; } = Defaults.ClassifierHiddenChannels;

        /// <summary>Expected frame side (square frames, the input size); <see langword="null"/> = whatever the clip column
        /// holds (at least 32). The official models use 172 (A0, A1) and 224 (A2).</summary>
        public int? FrameSize { get; set; }

        /// <summary>Batch-norm momentum (PyTorch convention). Default 0.1 (training from scratch); the official recipe uses 0.01.</summary>
        public double BatchNormMomentum { get; set; } = Defaults.BatchNormMomentum;

        /// <summary>The paper's temporal ensemble: two networks on the even and the odd frames (half frame rate, offset by
        /// one frame), logits averaged and trained together through the averaged logits. Needs clips of at least 2 frames.
        /// Default false.</summary>
        public bool TemporalEnsemble { get; set; }

        /// <summary>Creates options with the MoViNet defaults (10 epochs, batch 8, SGD momentum 0.9, lr 0.01 cosine, dropout 0.2).</summary>
        public Options()
        {
            Epochs = Defaults.Epochs;
            BatchSize = Defaults.BatchSize;
            LearningRate = Defaults.LearningRate;
        }

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            OptionChecks.Defined(Variant, nameof(Variant));
            OptionChecks.Defined(Mode, nameof(Mode));
            OptionChecks.InRange(WidthMultiplier, 1.0 / 16, 4.0, nameof(WidthMultiplier));
            OptionChecks.InRange(ClassifierHiddenChannels, 1, 1 << 16, nameof(ClassifierHiddenChannels));
            if (FrameSize is { } size && size < MoViNetSpecs.MinFrameSize)
                throw new ArgumentOutOfRangeException(nameof(FrameSize), size, $"FrameSize must be at least {MoViNetSpecs.MinFrameSize} for MoViNet; got {size}.");
            OptionChecks.InRange(BatchNormMomentum, 0, 1, nameof(BatchNormMomentum));
        }
    }

    internal MoViNetTrainer(IHostEnvironment environment, Options options) : base(environment, options)
    {
    }

    /// <inheritdoc />
    protected override VideoBackbone<MoViNetSpec> Backbone => MoViNetBackbone.Instance;

    /// <inheritdoc />
    protected override MoViNetSpec CreateSpec(ClipGeometry clip, int numClasses)
    {
        if (TrainerOptions.FrameSize is { } size && (size != clip.Height || size != clip.Width))
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName, $"frames of {size}×{size} (FrameSize)", clip.ToString());
        var spec = new MoViNetSpec
        {
            Variant = TrainerOptions.Variant,
            Mode = TrainerOptions.Mode,
            NumClasses = numClasses,
            WidthMultiplier = TrainerOptions.WidthMultiplier,
            ClassifierHiddenChannels = TrainerOptions.ClassifierHiddenChannels,
            DropoutRate = TrainerOptions.DropoutRate,
            BatchNormMomentum = TrainerOptions.BatchNormMomentum,
            TemporalEnsemble = TrainerOptions.TemporalEnsemble,
        };
        spec.Validate();
        return spec;
    }
}
