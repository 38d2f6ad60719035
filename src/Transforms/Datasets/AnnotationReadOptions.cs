using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Transforms.Datasets;

/// <summary>Settings shared by the annotation readers of <see cref="VideoDataset"/>.</summary>
public sealed class AnnotationReadOptions
{
    /// <summary>What to do with a malformed line (or entry) and with a row whose video is missing.
    /// <see cref="DecodeErrorPolicy.Throw"/> (default): throw, naming the file and the line.
    /// <see cref="DecodeErrorPolicy.Skip"/>: leave both out. <see cref="DecodeErrorPolicy.Fill"/>: leave malformed lines out but
    /// keep rows whose video is missing (so that <c>LoadVideoFrames</c> with <c>OnDecodeError = Fill</c> gives them an all-zero
    /// clip). Every line left out or kept despite a problem is reported to <see cref="OnProblem"/> and as a warning in
    /// ML.NET's log.</summary>
    public DecodeErrorPolicy OnError { get; set; } = DecodeErrorPolicy.Throw;

    /// <summary>Check that every video exists under the reader's video folder while reading. Default true. Public datasets
    /// downloaded from the web usually miss a few percent of their videos: set <see cref="OnError"/> to
    /// <see cref="DecodeErrorPolicy.Skip"/> to train on the rest.</summary>
    public bool CheckVideosExist { get; set; } = true;

    /// <summary>Called for every problem that <see cref="OnError"/> did not turn into an exception.</summary>
    public Action<AnnotationProblem>? OnProblem { get; set; }
}
