namespace MLNetVideo.Reporting;

/// <summary>What a model achieved on a labelled set of videos: the numbers of ML.NET's multiclass evaluator plus
/// per-class F1 and the confusion matrix, with class names.</summary>
public sealed record EvaluationReport
{
    /// <summary>Class names, in the order of the score vector and of the confusion matrix's rows and columns.</summary>
    public required IReadOnlyList<string> ClassNames { get; init; }

    /// <summary>Videos evaluated.</summary>
    public required int Count { get; init; }

    /// <summary>Fraction of videos classified correctly.</summary>
    public required double MicroAccuracy { get; init; }

    /// <summary>Mean over classes of each class's accuracy (recall).</summary>
    public required double MacroAccuracy { get; init; }

    /// <summary>k of <see cref="TopKAccuracy"/>: 5, or the number of classes when there are fewer.</summary>
    public required int TopK { get; init; }

    /// <summary>Fraction of videos whose true class is among the k most likely.</summary>
    public required double TopKAccuracy { get; init; }

    /// <summary>Mean negative log-probability of the true class.</summary>
    public required double LogLoss { get; init; }

    /// <summary>Improvement of the log-loss over always predicting the class priors (1 is perfect, ≤ 0 is no better).</summary>
    public required double LogLossReduction { get; init; }

    /// <summary>Precision, recall and F1 of every class.</summary>
    public required IReadOnlyList<ClassMetrics> PerClass { get; init; }

    /// <summary>Counts: row = true class, column = predicted class.</summary>
    public required IReadOnlyList<IReadOnlyList<int>> ConfusionMatrix { get; init; }

    /// <summary>The confusion matrix as a text table (ML.NET's format).</summary>
    public string? ConfusionTable { get; init; }
}
