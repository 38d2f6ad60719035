using System.Globalization;
using ScottPlot;
using MLNetVideo.Trainers;

namespace MLNetVideo.Reporting;

/// <summary>PNG plots of a run (ScottPlot 5): the confusion matrix and the training curves.</summary>
public static class Plots
{
    /// <summary>Default width of the confusion-matrix PNG, in pixels.</summary>
    public const int ConfusionMatrixWidth = 640;

    /// <summary>Default height of the confusion-matrix PNG, in pixels.</summary>
    public const int ConfusionMatrixHeight = 560;

    /// <summary>Default width of the training-curves PNG, in pixels.</summary>
    public const int CurvesWidth = 800;

    /// <summary>Default height of the training-curves PNG, in pixels.</summary>
    public const int CurvesHeight = 450;

    /// <summary>Draws the confusion matrix as a heat map (rows: true class, columns: predicted class) with counts in the cells.</summary>
    /// <param name="report">An evaluation.</param>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    public static void SaveConfusionMatrix(EvaluationReport report, string path, int width = ConfusionMatrixWidth, int height = ConfusionMatrixHeight)
    {
        ArgumentNullException.ThrowIfNull(report);
        int n = report.ConfusionMatrix.Count;
        var plot = new Plot();
        // Row-normalised colours (recall per true class), raw counts as text.
        var values = new double[n, n];
        int max = 1;
        for (int r = 0; r < n; r++)
        {
            int rowSum = Math.Max(1, report.ConfusionMatrix[r].Sum());
            for (int c = 0; c < n; c++)
            {
                values[r, c] = (double)report.ConfusionMatrix[r][c] / rowSum;
                max = Math.Max(max, report.ConfusionMatrix[r][c]);
            }
        }
        var heatmap = plot.Add.Heatmap(values);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.ManualRange = new ScottPlot.Range(0, 1);
        // Cell (r, c) is centred at x = c, y = n - 1 - r, so the first true class is the top row.
        heatmap.Extent = new CoordinateRect(-0.5, n - 0.5, -0.5, n - 0.5);
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < n; c++)
            {
                var text = plot.Add.Text(report.ConfusionMatrix[r][c].ToString(CultureInfo.InvariantCulture), c, n - 1 - r);
                text.LabelAlignment = Alignment.MiddleCenter;
                text.LabelFontSize = n <= 8 ? 18 : n <= 20 ? 11 : 7;
                text.LabelFontColor = values[r, c] > 0.6 ? Colors.Black : Colors.White;
            }
        }
        var positions = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        var names = report.ClassNames.Select(Shorten).ToArray();
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions, names);
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(positions.Select(p => n - 1 - p).ToArray(), names);
        if (n > 8) plot.Axes.Bottom.TickLabelStyle.Rotation = 45;
        plot.Axes.SetLimits(-0.5, n - 0.5, -0.5, n - 0.5);
        plot.XLabel("predicted class");
        plot.YLabel("true class");
        plot.Title(string.Create(CultureInfo.InvariantCulture,
            $"Confusion matrix: accuracy {report.MicroAccuracy:P1} on {report.Count} videos"));
        plot.Add.ColorBar(heatmap).Label = "fraction of the true class";
        Save(plot, path, width, height);
    }

    /// <summary>Draws training loss (left axis) and training/validation accuracy (right axis) per epoch.</summary>
    /// <param name="epochs">The epochs, in order.</param>
    /// <param name="path">The PNG to write (its folder is created).</param>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="title">Title; default "Training curves".</param>
    public static void SaveTrainingCurves(IReadOnlyList<EpochMetrics> epochs, string path, int width = CurvesWidth, int height = CurvesHeight, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        var plot = new Plot();
        double[] x = epochs.Select(e => (double)e.Epoch).ToArray();
        if (x.Length > 0)
        {
            var loss = plot.Add.Scatter(x, epochs.Select(e => e.TrainLoss).ToArray());
            loss.LegendText = "train loss";
            loss.Color = Colors.FireBrick;
            var accuracy = plot.Add.Scatter(x, epochs.Select(e => 100 * e.TrainAccuracy).ToArray());
            accuracy.LegendText = "train accuracy (%)";
            accuracy.Color = Colors.SteelBlue;
            accuracy.Axes.YAxis = plot.Axes.Right;
            var validated = epochs.Where(e => e.ValidationAccuracy.HasValue).ToArray();
            if (validated.Length > 0)
            {
                var validation = plot.Add.Scatter(validated.Select(e => (double)e.Epoch).ToArray(), validated.Select(e => 100 * e.ValidationAccuracy!.Value).ToArray());
                validation.LegendText = "validation accuracy (%)";
                validation.Color = Colors.SeaGreen;
                validation.Axes.YAxis = plot.Axes.Right;
            }
            plot.Axes.SetLimitsY(0, 100, plot.Axes.Right);
            plot.Axes.SetLimitsY(0, Math.Max(1e-3, epochs.Max(e => e.TrainLoss)) * 1.05, plot.Axes.Left);
            plot.Axes.SetLimitsX(Math.Min(0.5, x[0] - 0.5), x[^1] + 0.5);
            plot.ShowLegend(Alignment.LowerRight);
        }
        plot.XLabel("epoch");
        plot.YLabel("training loss");
        plot.Axes.Right.Label.Text = "accuracy (%)";
        plot.Title(title ?? "Training curves");
        Save(plot, path, width, height);
    }

    private static void Save(Plot plot, string path, int width, int height)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        plot.SavePng(path, width, height);
    }

    private static string Shorten(string name) => name.Length <= 14 ? name : name[..13] + "…";
}
