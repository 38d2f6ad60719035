using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers;

namespace MLNetVideo.Reporting;

/// <summary>
/// A progress bar for a known amount of work ("decoding 12/48 videos, 9.1/s, ETA 0:04"). On a terminal it redraws one
/// line in place; when the output is redirected (a log file, CI) it writes plain lines, at most one per tenth of the
/// work, and never cursor controls.
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
    private long _lastDrawTicks;

    /// <summary>Creates a progress bar.</summary>
    /// <param name="label">What is being done, for example "decoding train videos".</param>
    /// <param name="unit">What is counted, for example "videos".</param>
    /// <param name="writer">Where to write; default the console.</param>
    /// <param name="interactive">Redraw in place; default: the console is a terminal (output not redirected).</param>
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
        _total = Math.Max(0, total);
        _done = 0;
        _lastDecile = -1;
        _watch.Restart();
        if (!_interactive) _writer.WriteLine(FormattableString.Invariant($"{_label}: {_total} {_unit}"));
    }

    /// <summary>Reports that <paramref name="done"/> items are finished.</summary>
    /// <param name="done">Items finished so far.</param>
    public void Report(long done)
    {
        _done = done;
        if (_interactive)
        {
            long now = _watch.ElapsedTicks;
            if (done < _total && now - _lastDrawTicks < Stopwatch.Frequency / 10) return;
            _lastDrawTicks = now;
            _writer.Write("\r" + Line() + "   ");
            return;
        }
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
        if (_interactive) _writer.Write("\r");
        _writer.WriteLine("  " + Line());
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
    public static string EpochLine(EpochMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        int width = m.Epochs.ToString(CultureInfo.InvariantCulture).Length;
        string validation = m.ValidationAccuracy is { } va
            ? string.Create(CultureInfo.InvariantCulture, $"  val loss {m.ValidationLoss:F3}  val acc {va * 100,5:F1}%") : "";
        // A family's own figures (AFNet: selected-frame ratio, its target, the Gumbel temperature).
        validation += string.Concat(m.FamilyMetrics.Select(f => string.Create(CultureInfo.InvariantCulture, $"  {f.Key} {f.Value:G3}")));
        return string.Create(CultureInfo.InvariantCulture,
            $"  epoch {m.Epoch.ToString(CultureInfo.InvariantCulture).PadLeft(width)}/{m.Epochs} {Bar((double)m.Epoch / m.Epochs)} loss {m.TrainLoss:F3}  acc {m.TrainAccuracy * 100,5:F1}%{validation}  {m.ClipsPerSecond,6:F1} clips/s  ETA {FormatDuration(m.EstimatedRemaining)}{(m.StoppedEarly ? "  (early stop)" : "")}");
    }
}
