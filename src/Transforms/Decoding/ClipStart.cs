namespace MLNetVideo.Transforms.Decoding;

/// <summary>Where a dense clip starts.</summary>
public enum ClipStart
{
    /// <summary>Random start when training, centred at inference.</summary>
    Auto,
    /// <summary>At the first frame.</summary>
    Start,
    /// <summary>Centred in the video.</summary>
    Centre,
    /// <summary>At a random position (seeded), also at inference.</summary>
    Random,
}
