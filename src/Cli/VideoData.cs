using Microsoft.ML;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli;

/// <summary>Finds videos on disk for the commands, with clear errors.</summary>
internal static class VideoData
{
    /// <summary>Folder-per-class videos under <paramref name="folder"/>, with absolute paths (so a saved model reads
    /// them, and any other file, wherever it runs).</summary>
    public static IReadOnlyList<VideoDatasetRow> Labelled(string folder)
    {
        string root = ExistingFolder(folder, "--data");
        var rows = VideoDataset.List(root);
        if (rows.Count == 0)
            throw new CliException($"No videos found in '{root}'. Expected one sub-folder per class with video files ({string.Join(", ", VideoDataset.DefaultExtensions)}); `mlnetvideo sample-data` makes an example.");
        var classes = rows.Select(r => r.Label).Distinct().Count();
        if (classes < 2)
            throw new CliException($"'{root}' holds only {classes} class folder; a classifier needs at least two.");
        return rows.Select(r => new VideoDatasetRow { VideoPath = Path.GetFullPath(Path.Combine(root, r.VideoPath)), Label = r.Label }).ToArray();
    }

    /// <summary>One video file, or every video under a folder (recursively).</summary>
    public static IReadOnlyList<string> Files(string path)
    {
        if (File.Exists(path)) return [Path.GetFullPath(path)];
        if (!Directory.Exists(path)) throw new CliException($"'{path}' is neither a video file nor a folder.");
        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => VideoDataset.DefaultExtensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
            .Select(Path.GetFullPath).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0) throw new CliException($"No video files in '{path}'.");
        return files;
    }

    public static IDataView Load(MLContext mlContext, IReadOnlyList<VideoDatasetRow> rows) => mlContext.Data.LoadFromEnumerable(rows);

    public static string ExistingFolder(string folder, string option)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new CliException($"{option}: no folder given.");
        string full = Path.GetFullPath(folder);
        if (!Directory.Exists(full)) throw new CliException($"{option}: the folder '{full}' does not exist.");
        return full;
    }

    /// <summary>Loads a model zip under the CLI's rules (videos are passed as full paths, no feature cache, referenced files
    /// only from <paramref name="weightsFolder"/> or else the model's folder), turning every refusal into one clear line.</summary>
    public static ITransformer LoadModel(MLContext mlContext, string path, string? weightsFolder, out DataViewSchema inputSchema)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new CliException($"--model: the file '{full}' does not exist.");
        string folder = weightsFolder is null ? Path.GetDirectoryName(full)! : ExistingFolder(weightsFolder, "--weights-folder");
        try
        {
            return mlContext.Model.Load(full, new VideoModelLoadOptions { WeightsFolder = folder }, out inputSchema);
        }
        catch (FileNotFoundException e) when (e.FileName is { } missing && !string.Equals(Path.GetFullPath(missing), full, StringComparison.Ordinal))
        {
            throw new CliException($"--model: cannot load '{full}': {e.Message} (the CLI looks in --weights-folder, default the model's folder: '{folder}').", e);
        }
        catch (Exception e) when (IsRefusal(e))
        {
            throw new CliException($"--model: cannot load '{full}': {e.Message}", e);
        }
    }

    /// <summary>Exceptions that mean "this zip (or a file it needs) is refused", as opposed to a defect of the program.</summary>
    private static bool IsRefusal(Exception e)
        => e is InvalidDataException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException
               or ArgumentException or NotSupportedException or System.Security.Cryptography.CryptographicException
               or System.Text.Json.JsonException or KeyNotFoundException or OverflowException
           || e.GetType().Name.Contains("Zip", StringComparison.Ordinal);

    /// <summary>The video-loading options a CLI model uses for training and prediction.</summary>
    public static VideoFrameLoadingEstimator.Options LoaderOptions(ModelSettings s, PixelNormalization normalization) => new()
    {
        InputColumnName = "VideoPath",
        OutputColumnName = "Frames",
        Sampling = s.Sampling ?? SamplingMode.Uniform,
        FrameInterval = s.FrameInterval,
        FramesPerClip = s.Frames,
        FrameSize = s.Size,
        ShortSideSize = s.ShortSide,
        Layout = ClipLayout.Cthw,
        Normalization = s.Normalization ?? normalization,
    };
}
