namespace MLNetVideo.Transforms.Datasets;

/// <summary>The columns a format has; the data view holds only these.</summary>
[Flags]
internal enum AnnotationColumns
{
    VideoPath = 1,
    Label = 2,
    Labels = 4,
    Segment = 8,
    Split = 16,
}
