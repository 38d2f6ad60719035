namespace MLNetVideo.Transforms.Datasets;

/// <summary>The kind of MMAction2 annotation list (the <c>ann_file</c> of its <c>VideoDataset</c> and <c>RawframeDataset</c>).</summary>
public enum MMAction2ListKind
{
    /// <summary><c>filename label [label …]</c>: a video file per line.</summary>
    Videos,

    /// <summary><c>frame_dir total_frames label [label …]</c>: a folder of frame images per line.</summary>
    Rawframes,

    /// <summary><c>frame_dir offset total_frames label [label …]</c>: a clip of <c>total_frames</c> frames starting at frame
    /// <c>offset</c> of a frame folder (RawframeDataset's <c>with_offset</c>).</summary>
    RawframesWithOffset,
}
