namespace MLNetVideo.Distributed.Streams;

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
