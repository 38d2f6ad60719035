namespace MLNetVideo.Transforms.Datasets;

/// <summary>What one row of <see cref="VideoDataset.FromCharadesCsv"/> is.</summary>
public enum CharadesRows
{
    /// <summary>One row per video: <c>Labels</c> holds every action class of the video (multi-label), <c>Label</c> the first.</summary>
    PerVideo,

    /// <summary>One row per labelled action: its class in <c>Label</c> and its time span in <c>StartSeconds</c>/<c>EndSeconds</c>.</summary>
    PerAction,
}
