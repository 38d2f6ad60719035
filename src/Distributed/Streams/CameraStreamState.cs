namespace MLNetVideo.Distributed.Streams;

/// <summary>Persistent state of a camera's stream grain.</summary>
[GenerateSerializer]
public sealed class CameraStreamState
{
    /// <summary>The settings, once opened.</summary>
    [Id(0)] public CameraStreamSettings? Settings { get; set; }

    /// <summary>Frames covered by <see cref="Snapshot"/>.</summary>
    [Id(1)] public long Frames { get; set; }

    /// <summary>The MoViNet session state (<c>MoViNetStream.ExportState</c>), or null before the first write.</summary>
    [Id(2)] public byte[]? Snapshot { get; set; }
}
