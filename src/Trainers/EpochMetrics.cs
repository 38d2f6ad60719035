namespace MLNetVideo.Trainers;

/// <summary>What one training epoch achieved; passed to <see cref="VideoTrainerOptionsBase.MetricsCallback"/> and logged.</summary>
public sealed record EpochMetrics
{
    /// <summary>1-based epoch number.</summary>
    public int Epoch { get; init; }

    /// <summary>Epochs planned.</summary>
    public int Epochs { get; init; }

    /// <summary>Mean training loss (cross-entropy with label smoothing, plus any auxiliary loss) over the epoch's clips.</summary>
    public double TrainLoss { get; init; }

    /// <summary>Training accuracy of the epoch (train-mode forward, before each update).</summary>
    public double TrainAccuracy { get; init; }

    /// <summary>Validation loss (no smoothing), or null without a validation set.</summary>
    public double? ValidationLoss { get; init; }

    /// <summary>Validation top-1 accuracy (softmax averaged over views), or null.</summary>
    public double? ValidationAccuracy { get; init; }

    /// <summary>Validation top-k accuracy (k = <see cref="VideoTrainerOptionsBase.TopK"/>), or null.</summary>
    public double? ValidationTopKAccuracy { get; init; }

    /// <summary>Learning rate at the end of the epoch.</summary>
    public double LearningRate { get; init; }

    /// <summary>Training clips processed per second (data feeding included).</summary>
    public double ClipsPerSecond { get; init; }

    /// <summary>Wall time of the epoch (validation included).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Estimated time to finish the remaining epochs.</summary>
    public TimeSpan EstimatedRemaining { get; init; }

    /// <summary>Whether early stopping ends training after this epoch.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Family-specific figures of the epoch (for example AFNet's "SelectedFrameRatio"); empty for most families.</summary>
    public IReadOnlyDictionary<string, double> FamilyMetrics { get; init; } = NoFamilyMetrics;

    internal static IReadOnlyDictionary<string, double> NoFamilyMetrics { get; } = new Dictionary<string, double>();

    /// <summary>One log line.</summary>
    /// <returns>For example "epoch 3/10: loss 0.8123, acc 0.6500, val loss …, 41.2 clips/s, ETA 00:02:13".</returns>
    public override string ToString()
    {
        var text = FormattableString.Invariant($"epoch {Epoch}/{Epochs}: loss {TrainLoss:F4}, acc {TrainAccuracy:F4}");
        if (ValidationAccuracy is { } va)
            text += FormattableString.Invariant($", val loss {ValidationLoss:F4}, val acc {va:F4}, val top-k {ValidationTopKAccuracy:F4}");
        foreach (var (name, value) in FamilyMetrics)
            text += FormattableString.Invariant($", {name} {value:G4}");
        text += FormattableString.Invariant($", lr {LearningRate:G4}, {ClipsPerSecond:F1} clips/s, ETA {EstimatedRemaining:hh\\:mm\\:ss}");
        return StoppedEarly ? text + " (early stop)" : text;
    }
}
