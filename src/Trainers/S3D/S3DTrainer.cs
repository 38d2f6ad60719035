using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.S3D;

/// <summary>
/// Trains an S3D or S3D-G video classifier (Xie et al., "Rethinking Spatiotemporal Feature Learning: Speed-Accuracy
/// Trade-offs in Video Classification", ECCV 2018, arXiv:1712.04851) on a clip column and a key label column.
/// Create it with <c>mlContext.MulticlassClassification.Trainers.S3D(...)</c>.
/// </summary>
/// <remarks>
/// S3D replaces every 3-D convolution of an inflated Inception-v1 by a 1×k×k spatial and a k×1×1 temporal convolution,
/// each with batch norm and ReLU; S3D-G adds a self-gating unit (a per-channel sigmoid gate computed from the clip's mean
/// feature) after Conv2d_2c and every Inception branch. The clip column holds [3, T, H, W] (or [T, 3, H, W] with
/// <see cref="VideoTrainerOptionsBase.ClipLayout"/> = Tchw), at least 8 frames of 32×32; 16×224²
/// costs 17.98 GMACs for S3D (see <see cref="S3DCost"/>). Input range is up to the data (the Kinetics checkpoint of
/// kylemin/S3D expects [-1, 1]).
/// <inheritdoc cref="VideoClassifierTrainerBase{TOptions, TSpec}" path="/remarks"/>
/// </remarks>
public sealed class S3DTrainer : VideoClassifierTrainerBase<S3DTrainer.Options, S3DSpec>
{
    internal static class Defaults
    {
        public const S3DVariant Variant = S3DVariant.S3DG;
        public const double WidthMultiplier = 1.0;
        public const int Epochs = 10;
        public const int BatchSize = 8;
        public const double LearningRate = 0.01;
        public const double BatchNormMomentum = 0.1;
    }

    /// <summary>Settings of <see cref="S3DTrainer"/>.</summary>
    public sealed class Options : VideoTrainerOptionsBase
    {
        /// <summary>S3D or S3D-G. Default S3D-G.</summary>
        public S3DVariant Variant { get; set; } = Defaults.Variant;

        /// <summary>Multiplies every channel count (1.0 = the paper's table; 0.125–0.25 for tests). Default 1.0.</summary>
        public double WidthMultiplier { get; set; } = Defaults.WidthMultiplier;

        /// <summary>Expected frames per clip; <see langword="null"/> = whatever the clip column holds (at least 8).</summary>
        public int? FramesPerClip { get; set; }

        /// <summary>Expected frame side (square frames); <see langword="null"/> = whatever the clip column holds (at least 32).</summary>
        public int? FrameSize { get; set; }

        /// <summary>Batch-norm momentum (PyTorch convention). Default 0.1, suited to training from scratch; the reference
        /// checkpoint used 1e-3, which suits fine-tuning it.</summary>
        public double BatchNormMomentum { get; set; } = Defaults.BatchNormMomentum;

        /// <summary>First layer of <c>base</c> with temporal kernels (0 = all, the released S3D; larger = "top-heavy"). Default 0.</summary>
        public int TemporalStartLayer { get; set; }

        /// <summary>Creates options with the S3D defaults (10 epochs, batch 8, SGD momentum 0.9, lr 0.01 cosine).</summary>
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
            OptionChecks.InRange(WidthMultiplier, 1.0 / 64, 4.0, nameof(WidthMultiplier));
            if (FramesPerClip is { } frames && frames < S3DSpecs.MinFrames)
                throw new ArgumentOutOfRangeException(nameof(FramesPerClip), frames, $"FramesPerClip must be at least {S3DSpecs.MinFrames} for S3D; got {frames}.");
            if (FrameSize is { } size && size < S3DSpecs.MinFrameSize)
                throw new ArgumentOutOfRangeException(nameof(FrameSize), size, $"FrameSize must be at least {S3DSpecs.MinFrameSize} for S3D; got {size}.");
            OptionChecks.InRange(BatchNormMomentum, 0, 1, nameof(BatchNormMomentum));
            OptionChecks.InRange(TemporalStartLayer, 0, S3DSpecs.LayerCount, nameof(TemporalStartLayer));
        }
    }

    internal S3DTrainer(IHostEnvironment environment, Options options) : base(environment, options)
    {
    }

    /// <inheritdoc />
    protected override VideoBackbone<S3DSpec> Backbone => S3DBackbone.Instance;

    /// <inheritdoc />
    protected override S3DSpec CreateSpec(ClipGeometry clip, int numClasses)
    {
        if ((TrainerOptions.FramesPerClip is { } frames && frames != clip.Frames) || (TrainerOptions.FrameSize is { } size && (size != clip.Height || size != clip.Width)))
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName,
                $"{TrainerOptions.FramesPerClip?.ToString() ?? "T"} frames of {TrainerOptions.FrameSize?.ToString() ?? "H"}×{TrainerOptions.FrameSize?.ToString() ?? "W"} (FramesPerClip, FrameSize)",
                clip.ToString());
        var spec = new S3DSpec
        {
            Variant = TrainerOptions.Variant,
            NumClasses = numClasses,
            WidthMultiplier = TrainerOptions.WidthMultiplier,
            DropoutRate = TrainerOptions.DropoutRate,
            BatchNorm = S3DBatchNorm.Reference with { Momentum = TrainerOptions.BatchNormMomentum },
            TemporalStartLayer = TrainerOptions.TemporalStartLayer,
        };
        spec.Validate();
        return spec;
    }
}
