namespace MLNetVideo.Trainers.Blocks;

/// <summary>Batch-norm settings in PyTorch convention (momentum is the weight of the new batch statistics).</summary>
/// <param name="Eps">Added to the variance.</param>
/// <param name="Momentum">Running-statistics update weight.</param>
public readonly record struct TsmBatchNorm(double Eps, double Momentum)
{
    /// <summary>torchvision's ResNet values (eps 1e-5, momentum 0.1), which the TSM reference keeps.</summary>
    public static TsmBatchNorm Reference => new(1e-5, 0.1);
}
