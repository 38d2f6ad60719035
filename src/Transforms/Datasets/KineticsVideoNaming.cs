namespace MLNetVideo.Transforms.Datasets;

/// <summary>How the video files of a Kinetics CSV are named.</summary>
public enum KineticsVideoNaming
{
    /// <summary><c>{youtube_id}_{time_start:06d}_{time_end:06d}.mp4</c>: the clips already trimmed to the labelled 10 s, as the
    /// official downloader (ActivityNet's Kinetics crawler) and the CVDF archives name them. No segment columns: each file is
    /// the segment.</summary>
    IdAndTimeRange,

    /// <summary><c>{youtube_id}.mp4</c>: whole, untrimmed videos; <c>StartSeconds</c>/<c>EndSeconds</c> carry the labelled
    /// segment, for <c>LoadVideoFrames</c> to sample inside it.</summary>
    Id,
}
