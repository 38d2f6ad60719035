namespace MLNetVideo.Trainers;

/// <summary>Counters of the training loop that a checkpoint restores (the rest is derived from the seed and the epoch).</summary>
public sealed record TrainingProgress
{
    /// <summary>Epochs completed.</summary>
    public int CompletedEpochs { get; init; }

    /// <summary>Optimizer steps taken.</summary>
    public long OptimizerSteps { get; init; }

    /// <summary>Best validation accuracy so far (or -1).</summary>
    public double BestValidationAccuracy { get; init; } = -1;

    /// <summary>Epochs since the best validation accuracy.</summary>
    public int EpochsWithoutImprovement { get; init; }

    /// <summary>Whether early stopping has ended training.</summary>
    public bool Stopped { get; init; }
}
