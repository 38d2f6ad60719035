namespace MLNetVideo.Reporting;

/// <summary>One class's precision, recall and F1 on a test set.</summary>
/// <param name="ClassName">The class (label value).</param>
/// <param name="Precision">Of the videos predicted as this class, the fraction that are.</param>
/// <param name="Recall">Of the videos of this class, the fraction predicted as it.</param>
/// <param name="F1">Harmonic mean of precision and recall (0 when both are 0).</param>
/// <param name="Support">Test videos of this class.</param>
public sealed record ClassMetrics(string ClassName, double Precision, double Recall, double F1, int Support);
