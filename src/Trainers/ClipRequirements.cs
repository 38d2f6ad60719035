namespace MLNetVideo.Trainers;

/// <summary>What a family's network needs of one clip view: channels (null = any), at least this many frames and this
/// frame side.</summary>
/// <param name="Channels">Channels of a view (3 for RGB), or null for any.</param>
/// <param name="MinFrames">Fewest frames per view.</param>
/// <param name="MinFrameSize">Smallest frame height and width.</param>
public sealed record ClipRequirements(int? Channels, int MinFrames, int MinFrameSize)
{
    /// <summary>Whether a clip meets the requirements.</summary>
    /// <param name="clip">The clip column's geometry.</param>
    /// <returns>True when it does.</returns>
    public bool AreMetBy(ClipGeometry clip)
        => (Channels is null || clip.Channels == Channels) && clip.Frames >= MinFrames && clip.Height >= MinFrameSize && clip.Width >= MinFrameSize;

    /// <summary>Readable requirement, for messages.</summary>
    /// <returns>For example "3 channels and at least 8 frames of 32×32".</returns>
    public override string ToString()
        => $"{(Channels is { } c ? $"{c} channels and " : "")}at least {MinFrames} frame(s) of {MinFrameSize}×{MinFrameSize}";
}
