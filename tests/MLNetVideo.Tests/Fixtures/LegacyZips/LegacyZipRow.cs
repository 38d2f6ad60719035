namespace MLNetVideo.Tests.Fixtures.LegacyZips;

/// <summary>One row of a legacy-zip data set: a clip (or feature) vector and its label.</summary>
public sealed class LegacyZipRow
{
    public float[] Frames { get; set; } = [];

    public string Label { get; set; } = "";
}
