namespace MLNetVideo.Distributed.Jobs;

/// <summary>Persistent state of a job's coordinator.</summary>
[GenerateSerializer]
public sealed class VideoJobState
{
    /// <summary>The job, once started.</summary>
    [Id(0)] public VideoJob? Job { get; set; }

    /// <summary>Whether <c>results.jsonl</c> is written.</summary>
    [Id(1)] public bool Finished { get; set; }

    /// <summary>The error that stopped the job, if any.</summary>
    [Id(2)] public string? Error { get; set; }
}
