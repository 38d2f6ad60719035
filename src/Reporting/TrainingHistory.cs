using MLNetVideo.Trainers;

namespace MLNetVideo.Reporting;

/// <summary>Collects a trainer's per-epoch metrics (for the JSON report and the training-curves plot) and prints each epoch.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochMetrics> _epochs = [];
    private readonly TextWriter? _writer;

    /// <summary>Creates a history.</summary>
    /// <param name="writer">Where each epoch's progress line goes, or null for silence.</param>
    public TrainingHistory(TextWriter? writer = null) => _writer = writer;

    /// <summary>The epochs seen so far.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>Pass this as a trainer's <c>MetricsCallback</c>.</summary>
    /// <param name="metrics">One epoch.</param>
    public void OnEpoch(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_epochs) _epochs.Add(metrics);
        _writer?.WriteLine(ConsoleProgress.EpochLine(metrics));
    }
}
