namespace MLNetVideo.Transforms.Datasets;

/// <summary>One row of <see cref="VideoDataset.FromDirectory"/>.</summary>
public sealed class VideoDatasetRow
{
    /// <summary>Full path of the video file or frame folder (by default), or its path relative to the root with forward slashes
    /// when <c>absolutePaths: false</c> was asked for.</summary>
    public string VideoPath { get; set; } = "";

    /// <summary>The class: the name of the folder the video is in.</summary>
    public string Label { get; set; } = "";
}
