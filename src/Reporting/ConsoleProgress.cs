using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MLNetVideo.Reporting;

/// <summary>
/// A progress bar for a known amount of work ("decoding 12/48 videos, 9.1/s, ETA 0:04"). On a terminal Spectre.Console
/// draws a live bar in place (removed at the end); when the output is redirected (a log file, CI) it writes plain lines, at
/// most one per tenth of the work, and never cursor controls. Both end with the same summary line.
/// </summary>
public sealed class ConsoleProgress
{
    private readonly TextWriter _writer;
    private readonly string _label;
    private readonly string _unit;
    private readonly bool _interactive;
    private readonly Stopwatch _watch = new();
    private long _total;
    private long _done;
    private int _lastDecile = -1;
    private LiveBar? _bar;

    /// <summary>Creates a progress bar.</summary>
    /// <param name="label">What is being done, for example "decoding train videos".</param>
    /// <param name="unit">What is counted, for example "videos".</param>
    /// <param name="writer">Where to write; default the console.</param>
    /// <param name="interactive">Draw a live bar (cursor controls); default: the console is a terminal (output not redirected).</param>
    public ConsoleProgress(string label, string unit = "items", TextWriter? writer = null, bool? interactive = null)
    {
        _label = label;
        _unit = unit;
        _writer = writer ?? Console.Out;
        _interactive = interactive ?? (writer is null && !Console.IsOutputRedirected);
    }

    /// <summary>Starts timing <paramref name="total"/> items of work.</summary>
    /// <param name="total">Items to do.</param>
    public void Start(long total)
    {
        _bar?.Stop();
        _total = Math.Max(0, total);
        _done = 0;
        _lastDecile = -1;
        _watch.Restart();
        if (_interactive)
            _bar = new LiveBar(TerminalConsole(_writer), _label, _unit, _total);
        else
            _writer.WriteLine(FormattableString.Invariant($"{_label}: {_total} {_unit}"));
    }

    /// <summary>Reports that <paramref name="done"/> items are finished.</summary>
    /// <param name="done">Items finished so far.</param>
    public void Report(long done)
    {
        _done = done;
        if (_bar is not null)
        {
            _bar.Report(done);
            return;
        }
        if (_interactive) return;
        int decile = _total == 0 ? 10 : (int)(10 * done / _total);
        if (decile > _lastDecile && done < _total)
        {
            _lastDecile = decile;
            if (decile > 0) _writer.WriteLine("  " + Line());
        }
    }

    /// <summary>Ends the bar with a summary line.</summary>
    public void Complete()
    {
        _watch.Stop();
        _bar?.Stop();
        _bar = null;
        _writer.WriteLine("  " + Line());
    }

    /// <summary>A Spectre.Console console for a terminal that writes to <paramref name="writer"/> (ANSI codes, live rendering).</summary>
    /// <param name="writer">The terminal's writer.</param>
    /// <returns>The console.</returns>
    internal static IAnsiConsole TerminalConsole(TextWriter writer) => AnsiConsole.Create(new AnsiConsoleSettings
    {
        Ansi = AnsiSupport.Yes,
        ColorSystem = ColorSystemSupport.Detect,
        Interactive = InteractionSupport.Yes,
        Out = new AnsiConsoleOutput(writer),
    });

    /// <summary>Spectre.Console's live progress display, run on its own task between <see cref="Start"/> and <see cref="Complete"/>.</summary>
    private sealed class LiveBar
    {
        private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ProgressTask _task;
        private readonly Task _rendering;

        public LiveBar(IAnsiConsole console, string label, string unit, long total)
        {
            var ready = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
            var progress = console.Progress()
                .AutoClear(true)   // the summary line replaces the bar, as in a log
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new CountColumn(unit), new RemainingTimeColumn());
            _rendering = Task.Run(() => progress.StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
                ready.SetResult(task);
                await _finished.Task.ConfigureAwait(false);
                context.Refresh();
            }));
            // The display failing to start (for example a console that went away) must not stop the work it reports.
            _task = Task.WhenAny(ready.Task, _rendering).GetAwaiter().GetResult() == ready.Task ? ready.Task.Result : new ProgressTask(0, label, Math.Max(1, total));
        }

        public void Report(long done) => _task.Value = done;

        public void Stop()
        {
            _finished.TrySetResult();
            try { _rendering.GetAwaiter().GetResult(); }
            catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    /// <summary>"12/48 videos  9.1/s".</summary>
    private sealed class CountColumn(string unit) : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
            => new Text(string.Create(CultureInfo.InvariantCulture, $"{task.Value:F0}/{task.MaxValue:F0} {unit}  {task.Speed ?? 0:F1}/s"));
    }

    /// <summary>The current state as text, for example "[#####-----] 24/48 videos  9.1/s  ETA 0:03".</summary>
    /// <returns>One line.</returns>
    public string Line()
    {
        double seconds = _watch.Elapsed.TotalSeconds;
        double rate = seconds > 0 ? _done / seconds : 0;
        string eta = rate > 0 && _done < _total ? " ETA " + FormatDuration(TimeSpan.FromSeconds((_total - _done) / rate)) : "";
        string done = _done >= _total ? " in " + FormatDuration(_watch.Elapsed) : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{(_interactive ? _label + " " : "")}{Bar(_total == 0 ? 1 : (double)_done / _total)} {_done}/{_total} {_unit}  {rate:F1}/s{eta}{done}");
    }

    /// <summary>A 20-character text bar, for example "[########------------]".</summary>
    /// <param name="fraction">Done, in [0, 1].</param>
    /// <returns>The bar.</returns>
    public static string Bar(double fraction)
    {
        int filled = (int)Math.Round(20 * Math.Clamp(fraction, 0, 1));
        return "[" + new string('#', filled) + new string('-', 20 - filled) + "]";
    }

    /// <summary>m:ss, or h:mm:ss from an hour up.</summary>
    /// <param name="duration">A duration.</param>
    /// <returns>The text.</returns>
    public static string FormatDuration(TimeSpan duration)
        => duration.TotalHours >= 1
            ? string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalHours}:{duration.Minutes:00}:{duration.Seconds:00}")
            : string.Create(CultureInfo.InvariantCulture, $"{(int)duration.TotalMinutes}:{duration.Seconds:00}");

    /// <summary>
    /// A training progress line for one epoch: "epoch  3/30 [##------] loss 1.234  acc 45.0%  (val acc 50.0%)  41.2 clips/s  ETA 0:12".
    /// One line per epoch, so it reads the same on a terminal and in a log.
    /// </summary>
    /// <param name="m">The epoch's metrics.</param>
    /// <returns>The line.</returns>
    public static string EpochLine(EpochMetrics m) => string.Concat(EpochParts(m).Select(p => p.Text));

    /// <summary><see cref="EpochLine"/> as Spectre.Console markup for a terminal: the same text, the epoch in bold, the training
    /// figures and validation accuracy in colour.</summary>
    /// <param name="m">The epoch's metrics.</param>
    /// <returns>Markup (text escaped).</returns>
    public static string EpochMarkup(EpochMetrics m)
        => string.Concat(EpochParts(m).Select(p => p.Style is null ? Markup.Escape(p.Text) : $"[{p.Style}]{Markup.Escape(p.Text)}[/]"));

    private static IEnumerable<(string Text, string? Style)> EpochParts(EpochMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var c = CultureInfo.InvariantCulture;
        int width = m.Epochs.ToString(c).Length;
        yield return ("  ", null);
        yield return (string.Create(c, $"epoch {m.Epoch.ToString(c).PadLeft(width)}/{m.Epochs}"), "bold");
        yield return (" " + Bar((double)m.Epoch / m.Epochs) + " ", null);
        yield return (string.Create(c, $"loss {m.TrainLoss:F3}  acc {m.TrainAccuracy * 100,5:F1}%"), "yellow");
        if (m.ValidationAccuracy is { } va)
            yield return (string.Create(c, $"  val loss {m.ValidationLoss:F3}  val acc {va * 100,5:F1}%"), "green");
        // A family's own figures (AFNet: selected-frame ratio, its target, the Gumbel temperature).
        if (m.FamilyMetrics.Count > 0)
            yield return (string.Concat(m.FamilyMetrics.Select(f => string.Create(c, $"  {f.Key} {f.Value:G3}"))), "cyan");
        yield return (string.Create(c, $"  {m.ClipsPerSecond,6:F1} clips/s  ETA {FormatDuration(m.EstimatedRemaining)}{(m.StoppedEarly ? "  (early stop)" : "")}"), null);
    }
}
