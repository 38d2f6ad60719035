namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The prediction of a stream after a frame.</summary>
/// <param name="FrameIndex">Index of the last frame consumed (0-based; in a file, its index in the file).</param>
/// <param name="Logits">Logits of the video so far.</param>
/// <param name="Probabilities">Softmax of <paramref name="Logits"/>.</param>
public sealed record MoViNetStreamPrediction(long FrameIndex, float[] Logits, float[] Probabilities)
{
    /// <summary>Time of frame <see cref="FrameIndex"/> in the video (index / frame rate), when the frame rate is known
    /// (<see cref="MoViNetStreaming.StreamVideoFile"/>, or <see cref="MoViNetStreaming.StreamFrames"/> with a frame rate).</summary>
    public TimeSpan? Time { get; init; }

    /// <summary>The <paramref name="k"/> most probable classes, best first.</summary>
    /// <param name="k">How many.</param>
    /// <returns>(class index, probability) pairs.</returns>
    public IReadOnlyList<(int Class, float Probability)> Top(int k)
        => Probabilities.Select((p, i) => (Class: i, Probability: p)).OrderByDescending(x => x.Probability).ThenBy(x => x.Class).Take(k).ToArray();
}
