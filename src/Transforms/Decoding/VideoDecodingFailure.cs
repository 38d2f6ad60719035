namespace MLNetVideo.Transforms.Decoding;

/// <summary>Why a video could not be read.</summary>
public enum VideoDecodingFailure
{
    /// <summary>The file or folder does not exist (or the path is empty).</summary>
    NotFound,
    /// <summary>The path resolves outside <c>VideoFolder</c> and <c>AllowPathsOutsideVideoFolder</c> is false.</summary>
    OutsideVideoFolder,
    /// <summary>The file is not a video the decoder can read (non-video bytes, truncated or corrupt data, a directory with no frames).</summary>
    InvalidData,
    /// <summary>The file has no video stream or a codec the decoder does not have.</summary>
    Unsupported,
    /// <summary>The video has no frames.</summary>
    NoFrames,
    /// <summary>The video exceeds a limit: <c>MaxResolution</c>, <c>MaxFrames</c> or <c>MaxFileBytes</c>.</summary>
    TooLarge,
    /// <summary>The decoder did not finish within <c>DecodeTimeout</c>.</summary>
    Timeout,
    /// <summary>The decoder program itself could not be started.</summary>
    DecoderUnavailable,
}
