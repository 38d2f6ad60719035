using Microsoft.ML;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Transforms.Datasets;

/// <summary>Builds video datasets from folders.</summary>
public static partial class VideoDataset
{
    /// <summary>Video file extensions accepted by default.</summary>
    public static readonly IReadOnlyList<string> DefaultExtensions = [".mp4", ".webm", ".avi", ".mkv", ".mov", ".m4v", ".mpg", ".mpeg", ".ogv", ".wmv", ".flv"];

    /// <summary>
    /// Reads a folder-per-class tree (<c>root/&lt;label&gt;/&lt;video&gt;</c>, ML.NET Model Builder's image-classification
    /// convention) into an IDataView with text columns <c>VideoPath</c> and <c>Label</c>. A sub-folder of a class folder
    /// that holds frame images (the "rawframes" layout) counts as one video. Rows are in ordinal order of label, then path,
    /// so the same tree always gives the same rows; use <c>mlContext.Data.TrainTestSplit</c> or <c>ShuffleRows</c> next.
    /// Map <c>Label</c> to a key with <c>mlContext.Transforms.Conversion.MapValueToKey("Label")</c> before training.
    /// <para>Rows carry their dataset's root: paths are full paths (by default), so a model reads the videos of the dataset
    /// it is given, never files of the same name in its training folder. A <c>LoadVideoFrames</c> with a <c>VideoFolder</c>
    /// reads only rows under that folder and refuses others with <see cref="VideoDecodingFailure.OutsideVideoFolder"/>;
    /// leave <c>VideoFolder</c> unset (or use a common parent) to read the training and the test folder with one model.</para>
    /// </summary>
    /// <param name="mlContext">The ML context.</param>
    /// <param name="root">The root folder.</param>
    /// <param name="extensions">Accepted video extensions (with the dot, any case); null: <see cref="DefaultExtensions"/>.</param>
    /// <param name="includeFrameFolders">Whether sub-folders of frame images count as videos. Default true.</param>
    /// <param name="absolutePaths">Write full paths (default true). False writes paths relative to <paramref name="root"/>,
    /// which only mean something together with <c>videoFolder: root</c> on <c>LoadVideoFrames</c>: evaluating another
    /// folder's rows through such a model would resolve them against the training folder.</param>
    /// <returns>The data view.</returns>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">No video was found.</exception>
    public static IDataView FromDirectory(MLContext mlContext, string root, IEnumerable<string>? extensions = null,
        bool includeFrameFolders = true, bool absolutePaths = true)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return mlContext.Data.LoadFromEnumerable(List(root, extensions, includeFrameFolders, absolutePaths));
    }

    /// <summary>The rows <see cref="FromDirectory"/> would load, as a list.</summary>
    /// <param name="root">The root folder.</param>
    /// <param name="extensions">Accepted video extensions; null: <see cref="DefaultExtensions"/>.</param>
    /// <param name="includeFrameFolders">Whether sub-folders of frame images count as videos.</param>
    /// <param name="absolutePaths">Write full paths (default true), else paths relative to <paramref name="root"/>.</param>
    /// <returns>The rows in deterministic order.</returns>
    public static IReadOnlyList<VideoDatasetRow> List(string root, IEnumerable<string>? extensions = null,
        bool includeFrameFolders = true, bool absolutePaths = true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        string full = Path.GetFullPath(root);
        if (!Directory.Exists(full))
            throw new DirectoryNotFoundException($"The dataset folder '{full}' does not exist.");
        var accepted = new HashSet<string>((extensions ?? DefaultExtensions).Select(e => e.StartsWith('.') ? e : "." + e), StringComparer.OrdinalIgnoreCase);
        var rows = new List<VideoDatasetRow>();
        foreach (var classFolder in Directory.EnumerateDirectories(full).Order(StringComparer.Ordinal))
        {
            string label = Path.GetFileName(classFolder);
            var videos = Directory.EnumerateFiles(classFolder).Where(f => accepted.Contains(Path.GetExtension(f)));
            if (includeFrameFolders)
                videos = videos.Concat(Directory.EnumerateDirectories(classFolder).Where(IsFrameFolder));
            foreach (var video in videos.Order(StringComparer.Ordinal))
                rows.Add(new VideoDatasetRow
                {
                    VideoPath = absolutePaths ? video : Path.GetRelativePath(full, video).Replace(Path.DirectorySeparatorChar, '/'),
                    Label = label,
                });
        }
        if (rows.Count == 0)
            throw new InvalidDataException(
                $"No videos were found under '{full}'. Expected <root>/<label>/<video> with extensions {string.Join(", ", accepted.Order())}" +
                (includeFrameFolders ? " or <root>/<label>/<frame folder>/." : "."));
        return rows;
    }

    private static bool IsFrameFolder(string folder)
        => Directory.EnumerateFiles(folder).Any(f => FfmpegDecoder.FrameExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));
}
