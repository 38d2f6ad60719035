namespace MLNetVideo.Distributed.Jobs;

/// <summary>Persistent state of the job registry.</summary>
[GenerateSerializer]
public sealed class VideoJobRegistryState
{
    /// <summary>Running jobs.</summary>
    [Id(0)] public HashSet<string> Active { get; set; } = new(StringComparer.Ordinal);
}
