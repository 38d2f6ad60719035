using MLNetVideo.Trainers;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli;

/// <summary>What <c>train</c> and <c>benchmark</c> pass to a model entry; null means "the entry's default".</summary>
internal sealed record ModelSettings
{
    public int Frames { get; init; } = 8;
    public int Size { get; init; } = 32;
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public double? Width { get; init; }
    public int Seed { get; init; } = 1;
    public string Device { get; init; } = "auto";
    public string? ClipWeights { get; init; }
    public Action<EpochMetrics>? OnEpoch { get; init; }
    public string? LogDir { get; init; }

    /// <summary>Checkpoint to start from (<c>--weights</c>), as InitialWeights.</summary>
    public string? Weights { get; init; }

    /// <summary><c>--freeze all</c>.</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary><c>--freeze N</c>.</summary>
    public int FrozenStages { get; init; }

    /// <summary><c>--backbone-lr-scale</c>.</summary>
    public double? BackboneLearningRateScale { get; init; }

    /// <summary>A known checkpoint's architecture, applied after the entry's own settings.</summary>
    public Action<VideoTrainerOptionsBase>? Architecture { get; init; }

    /// <summary>A known checkpoint's preprocessing (null = the entry's).</summary>
    public PixelNormalization? Normalization { get; init; }

    /// <summary>Frame sampling (null = uniform segments).</summary>
    public SamplingMode? Sampling { get; init; }

    /// <summary>Stride of dense sampling.</summary>
    public int FrameInterval { get; init; } = 1;

    /// <summary>Short side before the centre crop (null = the frame size).</summary>
    public int? ShortSide { get; init; }
}
