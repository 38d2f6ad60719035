using MLNetVideo.Errors;

namespace MLNetVideo.Trainers;

/// <summary>
/// Settings shared by the trainers whose networks read pixel clips (S3D, MoViNet, TSM, AFNet): the clip shape they expect
/// and the network's width and batch-norm momentum. Each family states its own limits; its page in docs/components lists
/// the defaults that suit it.
/// </summary>
public abstract class PixelClipTrainerOptionsBase : VideoTrainerOptionsBase
{
    /// <summary>Multiplies the network's channel counts (1.0 = the published network; 0.125–0.25 for tests; each family
    /// rounds scaled widths its own way). Default 1.0.</summary>
    public double WidthMultiplier { get; set; } = 1.0;

    /// <summary>Expected frames per clip; <see langword="null"/> = whatever the clip column holds (at least the family's minimum).</summary>
    public int? FramesPerClip { get; set; }

    /// <summary>Expected frame side (square frames); <see langword="null"/> = whatever the clip column holds (at least 32).</summary>
    public int? FrameSize { get; set; }

    /// <summary>Batch-norm momentum (PyTorch convention). Default 0.1, suited to training from scratch (published
    /// checkpoints often used less, which suits fine-tuning them).</summary>
    public double BatchNormMomentum { get; set; } = 0.1;

    /// <summary>The family's name, smallest width multiplier and input requirements, for the checks.</summary>
    private protected abstract (string Family, double MinWidthMultiplier, ClipRequirements Input) Limits { get; }

    /// <inheritdoc />
    public override void Validate()
    {
        base.Validate();
        var (family, minWidth, input) = Limits;
        OptionChecks.InRange(WidthMultiplier, minWidth, 4.0, nameof(WidthMultiplier));
        if (FramesPerClip is { } frames && frames < input.MinFrames)
            throw new ArgumentOutOfRangeException(nameof(FramesPerClip), frames, $"FramesPerClip must be at least {input.MinFrames} for {family}; got {frames}.");
        if (FrameSize is { } size && size < input.MinFrameSize)
            throw new ArgumentOutOfRangeException(nameof(FrameSize), size, $"FrameSize must be at least {input.MinFrameSize} for {family}; got {size}.");
        OptionChecks.InRange(BatchNormMomentum, 0, 1, nameof(BatchNormMomentum));
    }

    /// <summary>Checks the clip column against <see cref="FramesPerClip"/> and <see cref="FrameSize"/>.</summary>
    /// <param name="clip">The clip column's geometry.</param>
    internal void CheckClip(ClipGeometry clip)
    {
        if ((FramesPerClip is { } frames && frames != clip.Frames) || (FrameSize is { } size && (size != clip.Height || size != clip.Width)))
            throw SchemaErrors.Mismatch("clip", ClipColumnName,
                $"{FramesPerClip?.ToString() ?? "T"} frames of {FrameSize?.ToString() ?? "H"}×{FrameSize?.ToString() ?? "W"} (FramesPerClip, FrameSize)",
                clip.ToString());
    }
}
