using Microsoft.ML;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Reporting;

/// <summary>Helpers for apps that feed video files to a saved model.</summary>
public static class ModelInputs
{
    /// <summary>
    /// The VideoPath value that makes <paramref name="model"/> read <paramref name="file"/>: the path relative to the
    /// model's <c>VideoFolder</c> when it has one (for a loaded model, the one given to <c>VideoModelLoadOptions</c>; its
    /// loader refuses paths outside that folder), else the full path.
    /// </summary>
    /// <param name="model">A fitted pipeline that contains <c>LoadVideoFrames</c>.</param>
    /// <param name="file">A video file.</param>
    /// <returns>The value for the VideoPath column.</returns>
    /// <exception cref="ArgumentException">The model only reads videos under its VideoFolder and the file is elsewhere.</exception>
    public static string VideoPathFor(ITransformer model, string file)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(file);
        string full = Path.GetFullPath(file);
        var loader = VideoEvaluation.Flatten(model).OfType<VideoFrameLoadingTransformer>().FirstOrDefault();
        var options = loader?.GetOptions();
        if (options?.VideoFolder is not { } folder || options.AllowPathsOutsideVideoFolder) return full;
        string root = Path.GetFullPath(folder);
        string relative = Path.GetRelativePath(root, full);
        if (relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative))
            throw new ArgumentException($"'{full}' is outside the model's VideoFolder '{root}', and the model only reads videos under it "
                + "(a loaded model's VideoFolder is the one given to VideoModelLoadOptions). Copy the video into that folder, or load the model without a VideoFolder.", nameof(file));
        return relative;
    }
}
