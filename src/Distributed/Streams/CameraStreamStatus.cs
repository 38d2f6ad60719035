namespace MLNetVideo.Distributed.Streams;

/// <summary>Where a camera's stream stands.</summary>
[GenerateSerializer, Immutable]
public sealed record CameraStreamStatus
{
    /// <summary>Whether the stream was opened (and not closed).</summary>
    [Id(0)] public bool Open { get; init; }

    /// <summary>Frames consumed.</summary>
    [Id(1)] public long FramesSeen { get; init; }

    /// <summary>Frames covered by the state in storage: after a failure the stream resumes from here.</summary>
    [Id(2)] public long PersistedFrames { get; init; }

    /// <summary>The silo that hosts the grain now.</summary>
    [Id(3)] public string Silo { get; init; } = "";
}
