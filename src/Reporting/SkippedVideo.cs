namespace MLNetVideo.Reporting;

/// <summary>A video an evaluation left out.</summary>
/// <param name="Path">The video's path.</param>
/// <param name="Reason">Why it could not be decoded.</param>
public sealed record SkippedVideo(string Path, string Reason);
