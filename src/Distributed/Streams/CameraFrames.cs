namespace MLNetVideo.Distributed.Streams;

/// <summary>Frames pushed to a camera's grain.</summary>
[GenerateSerializer, Immutable]
public sealed record CameraFrames
{
    /// <summary>Index of the first frame in the camera's stream (0-based). Frames the grain has already consumed are
    /// skipped, so a client can resend from the grain's <see cref="CameraStreamStatus.PersistedFrames"/> after a failure;
    /// a gap is refused.</summary>
    [Id(0)] public long FirstFrame { get; init; }

    /// <summary>t frames, each 3 × <see cref="Height"/> × <see cref="Width"/> floats (channel-major), in the model's input
    /// range (see <c>MoViNetStream.Push(float[], int, int)</c>).</summary>
    [Id(1)] public float[] Pixels { get; init; } = [];

    /// <summary>Frame height.</summary>
    [Id(2)] public int Height { get; init; }

    /// <summary>Frame width.</summary>
    [Id(3)] public int Width { get; init; }
}
