namespace MLNetVideo.Distributed.Streams;

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
