namespace MLNetVideo.Transforms.Decoding;

/// <summary>Default limits shared by <c>LoadVideoFrames</c> and <see cref="VideoFrameReader"/>.</summary>
internal static class DecodingLimits
{
    /// <summary>Default largest frame count: 1,000,000 (about 9 h at 30 frames/s).</summary>
    public const int MaxFrames = 1_000_000;

    /// <summary>Default largest file size: 64 GiB.</summary>
    public const long MaxFileBytes = 64L << 30;
}
