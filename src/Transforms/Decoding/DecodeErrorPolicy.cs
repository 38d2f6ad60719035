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
