namespace MLNetVideo.Distributed.Jobs;

/// <summary>A shard handed to a silo: which videos, and the token that identifies this lease.</summary>
[GenerateSerializer, Immutable]
public sealed record ShardLease
{
    /// <summary>The job.</summary>
    [Id(0)] public string JobId { get; init; } = "";

    /// <summary>Shard index (videos [index × ShardSize, …)).</summary>
    [Id(1)] public int Shard { get; init; }

    /// <summary>Identifies this lease: a renewal or completion with another token is refused.</summary>
    [Id(2)] public Guid Token { get; init; }

    /// <summary>The job's settings, with <see cref="VideoJob.Videos"/> cut to this shard's videos (a lease does not carry
    /// the whole list).</summary>
    [Id(3)] public VideoJob Job { get; init; } = new();

    /// <summary>Index in the job's list of the shard's first video.</summary>
    [Id(4)] public int FirstIndex { get; init; }
}
