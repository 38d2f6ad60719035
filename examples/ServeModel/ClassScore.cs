namespace ServeModel;

/// <summary>One class and its probability.</summary>
/// <param name="Label">The class name.</param>
/// <param name="Score">Its probability.</param>
public sealed record ClassScore(string Label, float Score);
