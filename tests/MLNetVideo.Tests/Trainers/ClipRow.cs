namespace MLNetVideo.Tests.Trainers;

/// <summary>One row of a synthetic clip data set.</summary>
public sealed class ClipRow
{
    public float[] Frames { get; set; } = [];

    public string Label { get; set; } = "";
}
