namespace MLNetVideo.Trainers.S3D;

/// <summary>Batch-norm settings in PyTorch convention (momentum is the weight of the new batch statistics).</summary>
/// <param name="Eps">Added to the variance.</param>
/// <param name="Momentum">Running-statistics update weight.</param>
public readonly record struct S3DBatchNorm(double Eps, double Momentum)
{
    /// <summary>The reference implementation's values (eps 1e-3, momentum 1e-3 = TF decay 0.999).</summary>
    public static S3DBatchNorm Reference => new(1e-3, 1e-3);
}
