using MLNetVideo.Trainers;
using Spectre.Console;

namespace MLNetVideo.Reporting;

/// <summary>Collects a trainer's per-epoch metrics (for the JSON report and the training-curves plot) and prints each epoch.</summary>
public sealed class TrainingHistory
{
    private readonly List<EpochMetrics> _epochs = [];
    private readonly TextWriter? _writer;
    private readonly IAnsiConsole? _terminal;

    /// <summary>Creates a history.</summary>
    /// <param name="writer">Where each epoch's progress line goes, or null for silence.</param>
    /// <param name="interactive">The writer is a terminal: the lines are written through Spectre.Console with colours; otherwise
    /// (default) they are plain text, one per epoch, without any control code.</param>
    public TrainingHistory(TextWriter? writer = null, bool interactive = false)
    {
        _writer = writer;
        _terminal = writer is not null && interactive ? ConsoleProgress.TerminalConsole(writer) : null;
    }

    /// <summary>The epochs seen so far.</summary>
    public IReadOnlyList<EpochMetrics> Epochs => _epochs;

    /// <summary>Pass this as a trainer's <c>MetricsCallback</c>.</summary>
    /// <param name="metrics">One epoch.</param>
    public void OnEpoch(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        lock (_epochs) _epochs.Add(metrics);
        if (_terminal is not null)
            _terminal.MarkupLine(ConsoleProgress.EpochMarkup(metrics));
        else
            _writer?.WriteLine(ConsoleProgress.EpochLine(metrics));
    }
}
