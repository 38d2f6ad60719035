using System.Globalization;
using System.Text;

namespace MLNetVideo.Reporting;

/// <summary>Plain-text summaries of an evaluation for the console.</summary>
public static class ReportText
{
    /// <summary>The headline metrics, a per-class table and the confusion matrix.</summary>
    /// <param name="report">An evaluation.</param>
    /// <returns>Several lines of text.</returns>
    public static string Summary(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(ci,
            $"{report.Count} videos: micro accuracy {report.MicroAccuracy:P1}, macro accuracy {report.MacroAccuracy:P1}, top-{report.TopK} accuracy {report.TopKAccuracy:P1}, log-loss {report.LogLoss:F3}"));
        int width = Math.Max(5, report.ClassNames.Max(n => n.Length));
        text.AppendLine(string.Create(ci, $"  {"class".PadRight(width)}  precision  recall     F1  videos"));
        foreach (var c in report.PerClass)
            text.AppendLine(string.Create(ci, $"  {c.ClassName.PadRight(width)}  {c.Precision,9:P1}  {c.Recall,6:P1}  {c.F1,5:F2}  {c.Support,6}"));
        text.AppendLine("  confusion matrix (rows: true class, columns: predicted):");
        int cell = Math.Max(4, report.ConfusionMatrix.SelectMany(r => r).DefaultIfEmpty(0).Max().ToString(ci).Length + 1);
        text.AppendLine("  " + "".PadRight(width) + string.Concat(report.ClassNames.Select(n => Trim(n, cell - 1).PadLeft(cell))));
        for (int r = 0; r < report.ConfusionMatrix.Count; r++)
            text.AppendLine("  " + report.ClassNames[r].PadRight(width) + string.Concat(report.ConfusionMatrix[r].Select(v => v.ToString(ci).PadLeft(cell))));
        return text.ToString();
    }

    private static string Trim(string name, int max) => name.Length <= max ? name : name[..max];
}
