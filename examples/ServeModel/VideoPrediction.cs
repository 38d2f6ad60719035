namespace ServeModel;

/// <summary>What the service answers for one video.</summary>
/// <param name="Label">The most likely class.</param>
/// <param name="Score">Its probability.</param>
/// <param name="Top">The k most likely classes, most likely first.</param>
public sealed record VideoPrediction(string Label, float Score, IReadOnlyList<ClassScore> Top);
