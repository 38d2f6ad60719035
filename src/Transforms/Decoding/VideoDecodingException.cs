namespace MLNetVideo.Transforms.Decoding;

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
