using System.Globalization;
using Microsoft.ML;

namespace MLNetVideo.Transforms.Datasets;

public static partial class VideoDataset
{
    /// <summary>The frame rate <c>LoadVideoFrames</c> gives a frame folder (<see cref="Decoding.VideoInfo.FramesPerSecond"/>):
    /// frame offsets of rawframe lists become seconds at this rate.</summary>
    internal const double FrameFolderFramesPerSecond = 30;

    /// <summary>
    /// Reads an MMAction2 annotation list (whitespace-separated, one sample per line; integer class indices, as its
    /// <c>VideoDataset</c> and <c>RawframeDataset</c> read them) into a data view with columns <c>VideoPath</c> and
    /// <c>Label</c>; <c>Labels</c> (every label of the line) when <paramref name="multiLabel"/>; <c>StartSeconds</c> and
    /// <c>EndSeconds</c> for <see cref="MMAction2ListKind.RawframesWithOffset"/> (frame offset and offset + total frames at
    /// the 30 frames/s that <c>LoadVideoFrames</c> gives frame folders, so the segment is exactly those frames).
    /// Blank lines are ignored; rows keep the order of the file.
    /// </summary>
    /// <param name="mlContext">The ML context (its log receives the problems reported under Skip or Fill).</param>
    /// <param name="annotationFile">The list file.</param>
    /// <param name="videoFolder">The folder the paths are relative to (MMAction2's <c>data_prefix</c>); pass it to <c>LoadVideoFrames</c> too.</param>
    /// <param name="kind">Video list (default) or rawframe list, with or without offsets.</param>
    /// <param name="multiLabel">Whether a line may hold several labels (MMAction2's <c>multi_class</c>). Default false:
    /// a line with more than one label is malformed.</param>
    /// <param name="labelMapFile">Optional class names, one per line, line k naming class k (MMAction2's <c>label_map_*.txt</c>);
    /// <see langword="null"/> (default): <c>Label</c> is the class index as text.</param>
    /// <param name="options">Error policy and video checks; <see langword="null"/>: throw on the first problem, check videos.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="FileNotFoundException">An annotation file is missing, or (under Throw) a video.</exception>
    /// <exception cref="InvalidDataException">(Under Throw) a malformed line, named by file and line number.</exception>
    /// <example><code language="csharp">
    /// // data/kinetics400/kinetics400_train_list_videos.txt:  "abseiling/xx.mp4 0"
    /// var train = VideoDataset.FromMMAction2List(mlContext, "data/kinetics400/kinetics400_train_list_videos.txt",
    ///     videoFolder: "data/kinetics400/videos_train", labelMapFile: "tools/data/kinetics/label_map_k400.txt");
    /// </code></example>
    public static IDataView FromMMAction2List(MLContext mlContext, string annotationFile, string videoFolder,
        MMAction2ListKind kind = MMAction2ListKind.Videos, bool multiLabel = false, string? labelMapFile = null,
        AnnotationReadOptions? options = null)
    {
        var collector = new AnnotationCollector(mlContext, "FromMMAction2List", videoFolder, options);
        Errors.OptionChecks.Defined(kind, nameof(kind));
        string[]? names = labelMapFile is null ? null : ReadLabelMap(collector, labelMapFile);
        string file = collector.RequireFile(annotationFile);
        int numbers = kind switch { MMAction2ListKind.Videos => 0, MMAction2ListKind.Rawframes => 1, _ => 2 };
        string shape = kind switch
        {
            MMAction2ListKind.Videos => "filename label",
            MMAction2ListKind.Rawframes => "frame_dir total_frames label",
            _ => "frame_dir offset total_frames label",
        };
        foreach (var (line, text) in collector.Lines(file))
        {
            var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (parts.Length == 0)
                continue;
            if (parts.Length < 2 + numbers)
            {
                collector.Malformed(file, line, $"expected '{shape}', got {AnnotationCollector.Quote(text)}.", parts[0]);
                continue;
            }
            var counts = new long[numbers];
            bool ok = true;
            for (int i = 0; i < numbers && ok; i++)
                ok = long.TryParse(parts[1 + i], NumberStyles.None, CultureInfo.InvariantCulture, out counts[i]);
            if (!ok || (numbers > 0 && counts[^1] <= 0))
            {
                collector.Malformed(file, line, $"expected '{shape}' with whole numbers ≥ 0 (total_frames > 0), got {AnnotationCollector.Quote(text)}.", parts[0]);
                continue;
            }
            var labelTexts = parts[(1 + numbers)..];
            if (!multiLabel && labelTexts.Length > 1)
            {
                collector.Malformed(file, line, $"the line has {labelTexts.Length} labels; pass multiLabel: true for a multi-class list.", parts[0]);
                continue;
            }
            var labels = new string[labelTexts.Length];
            string? bad = null;
            for (int i = 0; i < labels.Length && bad is null; i++)
            {
                if (!int.TryParse(labelTexts[i], NumberStyles.None, CultureInfo.InvariantCulture, out int index))
                    bad = $"the label '{labelTexts[i]}' is not a class index (a whole number ≥ 0).";
                else if (names is not null && index >= names.Length)
                    bad = $"the class index {index} is not in the label map '{labelMapFile}' ({names.Length} classes).";
                else
                    labels[i] = names is null ? labelTexts[i] : names[index];
            }
            if (bad is not null)
            {
                collector.Malformed(file, line, bad, parts[0]);
                continue;
            }
            var row = new VideoAnnotation { VideoPath = parts[0], Label = labels[0], Labels = labels };
            if (kind == MMAction2ListKind.RawframesWithOffset)
            {
                row.StartSeconds = counts[0] / FrameFolderFramesPerSecond;
                row.EndSeconds = (counts[0] + counts[1]) / FrameFolderFramesPerSecond;
            }
            collector.Add(file, line, row);
        }
        return collector.ToDataView(AnnotationColumns.Label
            | (multiLabel ? AnnotationColumns.Labels : 0)
            | (kind == MMAction2ListKind.RawframesWithOffset ? AnnotationColumns.Segment : 0));
    }

    /// <summary>Class names one per line (trailing blank lines ignored; a blank line inside is an error: it would shift every later index).</summary>
    private static string[] ReadLabelMap(AnnotationCollector collector, string labelMapFile)
    {
        string file = collector.RequireFile(labelMapFile);
        var names = collector.Lines(file).Select(l => l.Text.Trim()).ToList();
        while (names.Count > 0 && names[^1].Length == 0)
            names.RemoveAt(names.Count - 1);
        int blank = names.IndexOf("");
        if (blank >= 0)
            throw new InvalidDataException($"'{file}', line {blank + 1}: the label map has a blank line; line k must name class k.");
        if (names.Count == 0)
            throw new InvalidDataException($"'{file}': the label map is empty.");
        return [.. names];
    }
}
