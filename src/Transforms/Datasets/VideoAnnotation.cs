using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Transforms.Datasets;

/// <summary>
/// One annotated sample read from a dataset's annotation files (<c>VideoDataset.FromKineticsCsv</c>,
/// <c>FromUcf101Split</c>, …): a video, or a segment of one, with its label(s) and split. The data view a reader returns
/// holds only the columns its format has (see each reader); read rows back with
/// <c>mlContext.Data.CreateEnumerable&lt;VideoAnnotation&gt;</c> only when all six are present, otherwise with a class
/// of your own that has the columns you need.
/// </summary>
public sealed class VideoAnnotation
{
    /// <summary>Path of the video file or frame folder, relative to the video folder given to the reader (forward slashes).
    /// Pass the same folder as <c>videoFolder</c> to <c>LoadVideoFrames</c>.</summary>
    public string VideoPath { get; set; } = "";

    /// <summary>The class name (or, for an MMAction2 list without a label map, the class index as text); the first label of a
    /// multi-label row; empty when the annotation has no label (a test split).</summary>
    public string Label { get; set; } = "";

    /// <summary>Every label of a multi-label row (MMAction2 multi-class lists, Charades), in the order of the file.
    /// A variable-size vector of text in the data view.</summary>
    public string[] Labels { get; set; } = [];

    /// <summary>Start of the labelled segment in seconds of the source video; NaN: the start of the video. Give the column to
    /// <c>LoadVideoFrames</c> (<see cref="VideoFrameLoadingEstimator.Options.StartSecondsColumnName"/>) to sample only inside the segment.</summary>
    public double StartSeconds { get; set; } = double.NaN;

    /// <summary>End of the labelled segment in seconds (exclusive); NaN: the end of the video.</summary>
    public double EndSeconds { get; set; } = double.NaN;

    /// <summary>The split the annotation assigns ("train", "val", "test", …); empty when the format has none.</summary>
    public string Split { get; set; } = "";
}

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

/// <summary>A line (or entry) of an annotation file that was left out, or kept with a missing video.</summary>
/// <param name="File">The annotation file.</param>
/// <param name="Line">The 1-based line number (for JSON: the line where the entry starts).</param>
/// <param name="Reason">What is wrong, in words.</param>
/// <param name="VideoPath">The video path, when the line named one.</param>
/// <param name="Kept">True when the row was kept despite the problem (a missing video under <see cref="DecodeErrorPolicy.Fill"/>).</param>
public sealed record AnnotationProblem(string File, int Line, string Reason, string? VideoPath, bool Kept)
{
    /// <summary>One line naming the file, line and reason.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"'{File}', line {Line}: {Reason}{(Kept ? " (row kept)" : " (left out)")}";
}
