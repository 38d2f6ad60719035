namespace MLNetVideo.Transforms.SampleData;

/// <summary>One generated video.</summary>
/// <param name="Path">Full path of the video file or frame folder.</param>
/// <param name="RelativePath">Path relative to the output folder ("left/003.mp4").</param>
/// <param name="Label">The class name in lower case ("left").</param>
public sealed record SyntheticVideo(string Path, string RelativePath, string Label);
