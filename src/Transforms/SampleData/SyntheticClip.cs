namespace MLNetVideo.Transforms.SampleData;

/// <summary>One in-memory clip: [3, T, H, W] floats (ImageNet-normalised) and its class index.</summary>
/// <param name="Clip">The clip, channel-major.</param>
/// <param name="Label">Class index.</param>
internal sealed record SyntheticClip(float[] Clip, int Label);
