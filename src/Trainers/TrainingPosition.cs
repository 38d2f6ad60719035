namespace MLNetVideo.Trainers;

/// <summary>Where a training run stands when a batch is about to be trained on.</summary>
/// <param name="Epoch">0-based epoch.</param>
/// <param name="Batch">0-based index of the batch within the epoch.</param>
/// <param name="BatchesPerEpoch">Batches in one epoch (rows / batch size, rounded up).</param>
public readonly record struct TrainingPosition(int Epoch, long Batch, long BatchesPerEpoch)
{
    /// <summary>Epochs completed so far, fractional: <c>Epoch + Batch / BatchesPerEpoch</c>.</summary>
    public double FractionalEpoch => Epoch + (BatchesPerEpoch > 0 ? (double)Batch / BatchesPerEpoch : 0);
}
