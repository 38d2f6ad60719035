using MLNetVideo.Reporting;

namespace MLNetVideo.Tests.Reporting;

/// <summary>Issue 18, item 6: the text report's tables (Spectre.Console) print full class names (the confusion matrix used to
/// cut them to three letters), no cursor or colour codes, bounded lines, and names with markup characters as they are.</summary>
[TestClass]
public sealed class ReportTextTests
{
    private static EvaluationReport Report(string[] names, int[][] counts) => new()
    {
        ClassNames = names,
        Count = counts.Sum(r => r.Sum()),
        MicroAccuracy = 0.5, MacroAccuracy = 0.5, TopK = 2, TopKAccuracy = 0.75, LogLoss = 0.9, LogLossReduction = 0.1,
        PerClass = names.Select((n, i) => new ClassMetrics(n, 0.5, 0.25, 1 / 3.0, counts[i].Sum())).ToArray(),
        ConfusionMatrix = counts.Select(r => (IReadOnlyList<int>)r).ToArray(),
    };

    [TestMethod]
    public void ConfusionMatrix_HasFullClassNames_PlainText_BoundedLines()
    {
        string[] names = ["brush_hair", "cartwheel", "[open] door"];
        var text = ReportText.Summary(Report(names, [[3, 1, 0], [0, 2, 2], [1, 0, 12]]));
        var lines = text.Split('\n');
        int header = Array.FindIndex(lines, l => l.Contains("confusion matrix", StringComparison.Ordinal));
        Assert.IsGreaterThanOrEqualTo(0, header, text);
        var columns = lines[header + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        CollectionAssert.AreEqual(new[] { "brush_hair", "cartwheel", "[open]", "door" }, columns, lines[header + 1]);
        var last = lines[header + 4].Trim();
        StringAssert.StartsWith(last, "[open] door");
        CollectionAssert.AreEqual(new[] { "1", "0", "12" }, last["[open] door".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        StringAssert.Contains(text, "cartwheel");
        StringAssert.Contains(text, "[open] door    50.0 % 25.0 % 0.33     13");
        Assert.IsFalse(text.Contains('\u001b'), "no ANSI escape codes");
        Assert.IsFalse(text.Contains('\r'), "no carriage returns");
        Assert.IsTrue(lines.All(l => l.Length <= ReportText.MaxWidth), "bounded lines");
        StringAssert.StartsWith(text, "21 videos: micro accuracy 50.0 %");
    }
}
