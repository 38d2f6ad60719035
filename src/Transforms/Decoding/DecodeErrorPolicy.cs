namespace MLNetVideo.Transforms.Decoding;

/// <summary>What <c>LoadVideoFrames</c> does with a row whose video cannot be read.</summary>
public enum DecodeErrorPolicy
{
    /// <summary>Throw a <see cref="VideoDecodingException"/> naming the row, the path and the decoder's reason (default).</summary>
    Throw,
    /// <summary>Drop the row: cursors skip it, so the row count becomes unknown. A single-row context
    /// (<c>PredictionEngine</c>) cannot drop a row and fills it with zeros instead. Counted and logged as a warning.</summary>
    Skip,
    /// <summary>Keep the row with an all-zero clip. Counted and logged as a warning.</summary>
    Fill,
}

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

/// <summary>A video could not be decoded (an <see cref="IOException"/>, as <see cref="InvalidDataException"/> is sealed). The message names the row (when known), the path and the decoder's reason.</summary>
public sealed class VideoDecodingException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="failure">The kind of failure.</param>
    /// <param name="path">The video's path as resolved.</param>
    /// <param name="reason">The decoder's reason (its last error line) or ours.</param>
    /// <param name="rowIndex">The input row, or null outside an IDataView.</param>
    /// <param name="inner">The underlying exception, if any.</param>
    public VideoDecodingException(VideoDecodingFailure failure, string path, string reason, long? rowIndex = null, Exception? inner = null)
        : base(Format(failure, path, reason, rowIndex), inner)
    {
        Failure = failure;
        VideoPath = path;
        Reason = reason;
        RowIndex = rowIndex;
    }

    /// <summary>The kind of failure.</summary>
    public VideoDecodingFailure Failure { get; }

    /// <summary>The path of the video.</summary>
    public string VideoPath { get; }

    /// <summary>The decoder's reason.</summary>
    public string Reason { get; }

    /// <summary>The input row index, when the failure happened inside an IDataView.</summary>
    public long? RowIndex { get; }

    /// <summary>The same failure with the row index attached.</summary>
    /// <param name="rowIndex">The input row.</param>
    /// <returns>A new exception.</returns>
    internal VideoDecodingException AtRow(long rowIndex) => new(Failure, VideoPath, Reason, rowIndex, InnerException);

    private static string Format(VideoDecodingFailure failure, string path, string reason, long? rowIndex)
        => $"{(rowIndex is long row ? $"Row {row}: c" : "C")}ould not load video '{path}' ({failure}): {reason}";
}
