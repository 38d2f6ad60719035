namespace MLNetVideo.Distributed.Jobs;

/// <summary>One class and its score in a <see cref="VideoJobRecord"/>.</summary>
/// <param name="Label">The class name (the model's slot name, or "class i").</param>
/// <param name="Score">Its score.</param>
public sealed record ClassScore(string Label, float Score);
