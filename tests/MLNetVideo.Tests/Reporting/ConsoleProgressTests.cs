using MLNetVideo.Reporting;
using MLNetVideo.Trainers;

namespace MLNetVideo.Tests.Reporting;

/// <summary>Issue 18, item 6: the decoding bar and the per-epoch lines. Redirected (a log, CI): plain lines without any control
/// code, at most one per tenth of the work. On a terminal: Spectre.Console's live bar (cursor controls), then the same summary
/// line, and epoch lines with the same text in colour.</summary>
[TestClass]
public sealed class ConsoleProgressTests
{
    private static EpochMetrics Epoch(int epoch, int epochs) => new()
    {
        Epoch = epoch, Epochs = epochs, TrainLoss = 1.2345, TrainAccuracy = 0.45, ValidationLoss = 1.1, ValidationAccuracy = 0.5,
        ClipsPerSecond = 41.25, EstimatedRemaining = TimeSpan.FromSeconds(75),
        FamilyMetrics = new Dictionary<string, double> { ["SelectedFrameRatio"] = 0.625 },
    };

    [TestMethod]
    public void Redirected_PlainLinesOnly_AtMostOnePerTenth_ThenTheSummary()
    {
        using var writer = new StringWriter();
        var progress = new ConsoleProgress("decoding training videos", "videos", writer, interactive: false);
        progress.Start(48);
        for (int i = 1; i <= 48; i++)
            progress.Report(i);
        progress.Complete();
        var text = writer.ToString();
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("decoding training videos: 48 videos", lines[0].TrimEnd());
        Assert.IsTrue(lines.Length is >= 3 and <= 11, text);
        StringAssert.Contains(lines[^1], "[####################] 48/48 videos");
        StringAssert.Contains(lines[^1], " in 0:0");
        Assert.IsFalse(text.Contains('\u001b'), "no escape codes in redirected output");
        Assert.IsFalse(text.Contains('\r'), "no carriage returns in redirected output");

        using var log = new StringWriter();
        var history = new TrainingHistory(log);
        history.OnEpoch(Epoch(3, 30));
        Assert.AreEqual("  epoch  3/30 [##------------------] loss 1.234  acc  45.0%  val loss 1.100  val acc  50.0%  SelectedFrameRatio 0.625    41.2 clips/s  ETA 1:15" + Environment.NewLine,
            log.ToString());
    }

    [TestMethod]
    public void OnATerminal_SpectreDrawsALiveBar_ThenTheSameSummaryLine_AndColouredEpochLines()
    {
        using var writer = new StringWriter();
        var progress = new ConsoleProgress("decoding training videos", "videos", writer, interactive: true);
        progress.Start(20);
        for (int i = 1; i <= 20; i++)
        {
            progress.Report(i);
            Thread.Sleep(15);   // Spectre redraws about every 100 ms: let it draw a few frames
        }
        progress.Complete();
        var text = writer.ToString();
        StringAssert.Contains(text, "\u001b[", "a live bar uses cursor controls");
        StringAssert.Contains(text, "decoding training videos");
        StringAssert.Contains(text, "/20 videos");
        var last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        StringAssert.Contains(last, "  decoding training videos [####################] 20/20 videos", "the summary line replaces the bar");

        using var terminal = new StringWriter();
        new TrainingHistory(terminal, interactive: true).OnEpoch(Epoch(3, 30));
        string coloured = terminal.ToString();
        StringAssert.Contains(coloured, "\u001b[", "colours on a terminal");
        string plain = System.Text.RegularExpressions.Regex.Replace(coloured, "\u001b\\[[0-9;]*m", "");
        // The same words as the plain line (a terminal narrower than the line wraps it).
        CollectionAssert.AreEqual(ConsoleProgress.EpochLine(Epoch(3, 30)).Split(' ', StringSplitOptions.RemoveEmptyEntries),
            plain.Split([' ', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries), plain);
    }
}
