using Orleans;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>Where a job stands, as its coordinator grain sees it.</summary>
[GenerateSerializer, Immutable]
public sealed record VideoJobProgress
{
    /// <summary>The job.</summary>
    [Id(0)] public string JobId { get; init; } = "";

    /// <summary>Videos in the job.</summary>
    [Id(1)] public int Total { get; init; }

    /// <summary>Videos whose shard is committed (processed or failed).</summary>
    [Id(2)] public int Done { get; init; }

    /// <summary>Of <see cref="Done"/>, the videos that failed (recorded with their reason).</summary>
    [Id(3)] public int Failed { get; init; }

    /// <summary>Shards leased to silos now.</summary>
    [Id(4)] public int ShardsInFlight { get; init; }

    /// <summary>Shards handed out again after their lease expired (a silo died or stalled).</summary>
    [Id(5)] public int ShardsReleased { get; init; }

    /// <summary>Videos per second since this coordinator activation started seeing results; 0 before.</summary>
    [Id(6)] public double VideosPerSecond { get; init; }

    /// <summary>Estimated time to completion at that rate; null while unknown.</summary>
    [Id(7)] public TimeSpan? Eta { get; init; }

    /// <summary>Whether every shard is committed and <c>results.jsonl</c> written.</summary>
    [Id(8)] public bool Finished { get; init; }

    /// <summary>Why the job stopped, when a shard failed <see cref="VideoJob.MaxShardAttempts"/> times; null otherwise.</summary>
    [Id(9)] public string? Error { get; init; }

    /// <summary>The silo that hosts the coordinator now.</summary>
    [Id(10)] public string CoordinatorSilo { get; init; } = "";

    /// <summary>One line: done / failed / rate / ETA.</summary>
    /// <returns>The line.</returns>
    public override string ToString()
        => System.FormattableString.Invariant($"{Done}/{Total} videos ({Failed} failed), {VideosPerSecond:F1} videos/s, ETA {(Eta is { } e ? $"{e.TotalSeconds:F0} s" : "?")}{(Finished ? ", finished" : "")}{(Error is null ? "" : $", error: {Error}")}");
}
