namespace MLNetVideo.Distributed.Streams;

/// <summary>How a camera's stream grain runs.</summary>
[GenerateSerializer, Immutable]
public sealed record CameraStreamSettings
{
    /// <summary>The stream-mode MoViNet model zip (loaded once per silo and shared by its cameras).</summary>
    [Id(0)] public string ModelPath { get; init; } = "";

    /// <summary>The session state is written to grain storage after every this many frames (and when the grain deactivates);
    /// after a silo failure the stream continues from the last write. Default 64.</summary>
    [Id(1)] public int PersistEveryFrames { get; init; } = 64;
}
