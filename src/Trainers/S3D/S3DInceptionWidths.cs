namespace MLNetVideo.Trainers.S3D;

/// <summary>Output widths of one Inception block: branch 0 (1×1×1), branches 1 and 2 (1×1×1 reduce → separable 3×3),
/// branch 3 (pool → 1×1×1).</summary>
/// <param name="Branch0">Branch 0 width.</param>
/// <param name="Branch1Reduce">Branch 1 reduction width.</param>
/// <param name="Branch1">Branch 1 width.</param>
/// <param name="Branch2Reduce">Branch 2 reduction width.</param>
/// <param name="Branch2">Branch 2 width.</param>
/// <param name="Branch3">Branch 3 width.</param>
public readonly record struct S3DInceptionWidths(int Branch0, int Branch1Reduce, int Branch1, int Branch2Reduce, int Branch2, int Branch3)
{
    /// <summary>Channels after the concat.</summary>
    public int Output => Branch0 + Branch1 + Branch2 + Branch3;

    /// <summary>Every width multiplied by <paramref name="multiplier"/> (rounded to a multiple of 16, at least 16, unless 1.0).</summary>
    /// <param name="multiplier">The width multiplier.</param>
    /// <returns>The scaled widths.</returns>
    public S3DInceptionWidths Scale(double multiplier) => new(
        S3DSpec.ScaleChannels(Branch0, multiplier), S3DSpec.ScaleChannels(Branch1Reduce, multiplier), S3DSpec.ScaleChannels(Branch1, multiplier),
        S3DSpec.ScaleChannels(Branch2Reduce, multiplier), S3DSpec.ScaleChannels(Branch2, multiplier), S3DSpec.ScaleChannels(Branch3, multiplier));
}
