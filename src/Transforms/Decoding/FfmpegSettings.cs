namespace MLNetVideo.Transforms.Decoding;

/// <summary>Settings of the FFmpeg command-line decoder. The programs are the process's (<see cref="VideoDecoding"/>);
/// <paramref name="FfmpegOverride"/>/<paramref name="FfprobeOverride"/> exist for tests only and are never persisted.</summary>
/// <param name="Timeout">Longest time one probe or decode may take (streaming: longest wait for one frame).</param>
/// <param name="MaxResolution">Largest accepted width or height of a source video.</param>
/// <param name="MaxFrames">Largest accepted frame count of a source (as probed; a streaming reader also stops there).</param>
/// <param name="MaxFileBytes">Largest accepted size of a video file, or of all images of a frame folder together.</param>
/// <param name="FfmpegOverride">Tests: a stand-in ffmpeg (absolute path).</param>
/// <param name="FfprobeOverride">Tests: a stand-in ffprobe (absolute path).</param>
internal sealed record FfmpegSettings(TimeSpan Timeout, int MaxResolution,
    int MaxFrames = DecodingLimits.MaxFrames, long MaxFileBytes = DecodingLimits.MaxFileBytes,
    string? FfmpegOverride = null, string? FfprobeOverride = null)
{
    public static FfmpegSettings Default { get; } = new(TimeSpan.FromSeconds(60), 8192);

    /// <summary>The ffmpeg program to run, as an absolute path.</summary>
    public string Ffmpeg => FfmpegOverride ?? VideoDecoding.FfmpegPath;

    /// <summary>The ffprobe program to run, as an absolute path.</summary>
    public string Ffprobe => FfprobeOverride ?? VideoDecoding.FfprobePath;
}
