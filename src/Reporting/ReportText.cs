using System.Globalization;
using System.Text;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace MLNetVideo.Reporting;

/// <summary>Plain-text summaries of an evaluation for the console and logs.</summary>
public static class ReportText
{
    /// <summary>Widest line a table may take before Spectre.Console wraps cells (keeps log lines bounded).</summary>
    public const int MaxWidth = 240;

    /// <summary>The headline metrics, a per-class table and the confusion matrix (full class names), as plain text: no
    /// colours or cursor codes, so it reads the same on a terminal, in a file and in CI logs.</summary>
    /// <param name="report">An evaluation.</param>
    /// <returns>Several lines of text.</returns>
    public static string Summary(EvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var text = new StringBuilder();
        var ci = CultureInfo.InvariantCulture;
        text.AppendLine(string.Create(ci,
            $"{report.Count} videos: micro accuracy {report.MicroAccuracy:P1}, macro accuracy {report.MacroAccuracy:P1}, top-{report.TopK} accuracy {report.TopKAccuracy:P1}, log-loss {report.LogLoss:F3}"));

        var perClass = Table("class", "precision", "recall", "F1", "videos");
        foreach (var c in report.PerClass)
            perClass.AddRow(Cells(c.ClassName, c.Precision.ToString("P1", ci), c.Recall.ToString("P1", ci), c.F1.ToString("F2", ci), c.Support.ToString(ci)));
        text.Append(Render(perClass));

        text.AppendLine("  confusion matrix (rows: true class, columns: predicted):");
        var matrix = Table(["", .. report.ClassNames]);
        for (int r = 0; r < report.ConfusionMatrix.Count; r++)
            matrix.AddRow(Cells([report.ClassNames[r], .. report.ConfusionMatrix[r].Select(v => v.ToString(ci))]));
        text.Append(Render(matrix));
        return text.ToString();
    }

    private static Table Table(params string[] headers)
    {
        var table = new Table().Border(TableBorder.None).HideRowSeparators();
        for (int i = 0; i < headers.Length; i++)
            table.AddColumn(new TableColumn(new Text(headers[i])) { Alignment = i == 0 ? Justify.Left : Justify.Right, Padding = new Padding(i == 0 ? 0 : 1, 0, 1, 0) });
        return table;
    }

    // Text, not markup: a class name such as "[open] door" is printed as it is.
    private static IRenderable[] Cells(params string[] values) => values.Select(v => (IRenderable)new Text(v)).ToArray();

    /// <summary>Renders with Spectre.Console into plain text (no ANSI codes, no colours, at most <see cref="MaxWidth"/> wide).</summary>
    private static string Render(IRenderable renderable)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = MaxWidth;
        console.Write(renderable);
        // Trailing spaces of padded cells are noise in logs.
        var lines = writer.ToString().Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0);
        return string.Concat(lines.Select(l => "  " + l + Environment.NewLine));
    }
}
