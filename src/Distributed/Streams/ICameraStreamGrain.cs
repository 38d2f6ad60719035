using Orleans;

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

/// <summary>A camera's prediction after a push (returned and published on the camera's Orleans stream).</summary>
[GenerateSerializer, Immutable]
public sealed record CameraPrediction
{
    /// <summary>The camera.</summary>
    [Id(0)] public string CameraId { get; init; } = "";

    /// <summary>Index of the last frame consumed.</summary>
    [Id(1)] public long FrameIndex { get; init; }

    /// <summary>Logits of the stream so far.</summary>
    [Id(2)] public float[] Logits { get; init; } = [];

    /// <summary>Softmax of <see cref="Logits"/>.</summary>
    [Id(3)] public float[] Probabilities { get; init; } = [];

    /// <summary>The most probable class (the model's class name).</summary>
    [Id(4)] public string Label { get; init; } = "";
}

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

/// <summary>
/// One live camera stream (key: the camera id) holding a MoViNet streaming session: frames are pushed in order, each push
/// returns the prediction of the video so far and publishes it on the Orleans stream
/// <see cref="CameraStreams.PredictionStream"/>. The session state is persisted every
/// <see cref="CameraStreamSettings.PersistEveryFrames"/> frames, so when a silo fails the grain reactivates on another one
/// and continues from the last persisted frame; an idle camera deactivates (after persisting) and frees its session.
/// </summary>
public interface ICameraStreamGrain : IGrainWithStringKey
{
    /// <summary>Opens the stream (idempotent with the same settings).</summary>
    /// <param name="settings">Model and persistence.</param>
    /// <returns>The status.</returns>
    Task<CameraStreamStatus> Open(CameraStreamSettings settings);

    /// <summary>Consumes frames.</summary>
    /// <param name="frames">The frames and the index of the first.</param>
    /// <returns>The prediction after the last frame, or null when every frame had been consumed before.</returns>
    Task<CameraPrediction?> Push(CameraFrames frames);

    /// <summary>The status.</summary>
    /// <returns>Frames seen and persisted.</returns>
    Task<CameraStreamStatus> GetStatus();

    /// <summary>Ends the stream: deletes its state and deactivates.</summary>
    /// <returns>A task.</returns>
    Task Close();
}

/// <summary>Names of the camera prediction streams.</summary>
public static class CameraStreams
{
    /// <summary>The stream namespace of camera predictions.</summary>
    public const string Namespace = "mlnetvideo-camera-predictions";

    /// <summary>The stream on which a camera's predictions are published (provider <see cref="Hosting.MLNetVideoSilo.StreamProviderName"/>).</summary>
    /// <param name="cameraId">The camera.</param>
    /// <returns>The stream id.</returns>
    public static Orleans.Runtime.StreamId PredictionStream(string cameraId) => Orleans.Runtime.StreamId.Create(Namespace, cameraId);
}
