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
