using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Transforms.Datasets;

/// <summary>A line (or entry) of an annotation file that was left out, or kept with a missing video.</summary>
/// <param name="File">The annotation file.</param>
/// <param name="Line">The 1-based line number (for JSON: the line where the entry starts).</param>
/// <param name="Reason">What is wrong, in words.</param>
/// <param name="VideoPath">The video path, when the line named one.</param>
/// <param name="Kept">True when the row was kept despite the problem (a missing video under <see cref="DecodeErrorPolicy.Fill"/>).</param>
public sealed record AnnotationProblem(string File, int Line, string Reason, string? VideoPath, bool Kept)
{
    /// <summary>One line naming the file, line and reason.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"'{File}', line {Line}: {Reason}{(Kept ? " (row kept)" : " (left out)")}";
}
