namespace MLNetVideo.Transforms.SampleData;

/// <summary>Settings of <see cref="SyntheticActionVideos.Generate"/>.</summary>
public sealed class SyntheticActionOptions
{
    /// <summary>Videos per class. Default 8.</summary>
    public int VideosPerClass { get; set; } = 8;

    /// <summary>Frames per video. Default 16.</summary>
    public int Frames { get; set; } = 16;

    /// <summary>Width and height in pixels (even). Default 64.</summary>
    public int Size { get; set; } = 64;

    /// <summary>Frame rate. Default 25.</summary>
    public double FramesPerSecond { get; set; } = 25;

    /// <summary>Seed: the same seed gives the same pixels. Default 1.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The classes to generate. Default all eight.</summary>
    public IReadOnlyList<SyntheticAction> Classes { get; set; } = Enum.GetValues<SyntheticAction>();

    /// <summary>Amplitude of the per-pixel background noise, 0 to 1 (0: black background). Default 0.1.</summary>
    public double Noise { get; set; } = 0.1;

    /// <summary>Random shape colours (true, default) or always pure red (for tests that look for the shape).</summary>
    public bool RandomColours { get; set; } = true;

    /// <summary>Container and codec. Default <see cref="SyntheticVideoFormat.Mp4H264"/>.</summary>
    public SyntheticVideoFormat Format { get; set; } = SyntheticVideoFormat.Mp4H264;
}
