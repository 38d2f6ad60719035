namespace MLNetVideo.Distributed.Streams;

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
