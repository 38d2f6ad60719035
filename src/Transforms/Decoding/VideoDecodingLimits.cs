namespace MLNetVideo.Transforms.Decoding;

/// <summary>The largest limits the decoders of a process may use (<see cref="VideoDecoding.Limits"/>).</summary>
public sealed record VideoDecodingLimits
{
    /// <summary>Largest source width or height in pixels. Default 8192.</summary>
    public int MaxResolution { get; init; } = 8192;

    /// <summary>Largest source frame count. Default 1,000,000 (about 9 h at 30 frames/s).</summary>
    public int MaxFrames { get; init; } = DecodingLimits.MaxFrames;

    /// <summary>Largest video file (or frame folder) in bytes. Default 64 GiB.</summary>
    public long MaxFileBytes { get; init; } = DecodingLimits.MaxFileBytes;

    /// <summary>Longest decode timeout. Default 1 hour.</summary>
    public TimeSpan MaxDecodeTimeout { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Largest clip tensor of one row of <c>LoadVideoFrames</c>, in bytes (4 per value). Default 2 GiB.</summary>
    public long MaxClipBytes { get; init; } = 2L << 30;

    internal void Validate()
    {
        Errors.OptionChecks.Positive(MaxResolution, nameof(MaxResolution));
        Errors.OptionChecks.Positive(MaxFrames, nameof(MaxFrames));
        Errors.OptionChecks.Positive(MaxFileBytes, nameof(MaxFileBytes));
        Errors.OptionChecks.Positive(MaxClipBytes, nameof(MaxClipBytes));
        if (!(MaxDecodeTimeout > TimeSpan.Zero))
            throw new ArgumentOutOfRangeException(nameof(MaxDecodeTimeout), MaxDecodeTimeout, "MaxDecodeTimeout must be positive.");
    }
}
