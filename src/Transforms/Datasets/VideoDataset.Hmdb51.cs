using System.Globalization;
using Microsoft.ML;

namespace MLNetVideo.Transforms.Datasets;

public static partial class VideoDataset
{
    /// <summary>
    /// Reads one of HMDB51's three official splits from its <c>testTrainMulti_7030_splits</c> folder: one file per class,
    /// <c>{class}_test_split{N}.txt</c>, whose lines are <c>{video}.avi {flag}</c> with flag 1 = training, 2 = test and
    /// 0 = in neither (those lines are not rows). Columns <c>VideoPath</c> (<c>{class}/{video}.avi</c>, the layout of the
    /// extracted archives), <c>Label</c> (the class) and <c>Split</c> ("train" or "test"); classes in ordinal order,
    /// lines in file order.
    /// </summary>
    /// <param name="mlContext">The ML context.</param>
    /// <param name="splitFolder">The folder of the split files.</param>
    /// <param name="videoFolder">The folder with one sub-folder of videos per class; pass it to <c>LoadVideoFrames</c> too.</param>
    /// <param name="split">1, 2 or 3. Default 1.</param>
    /// <param name="options">Error policy and video checks; <see langword="null"/>: throw on the first problem, check videos.</param>
    /// <returns>The rows.</returns>
    /// <exception cref="FileNotFoundException">The folder has no <c>*_test_split{N}.txt</c> file.</exception>
    public static IDataView FromHmdb51Split(MLContext mlContext, string splitFolder, string videoFolder, int split = 1,
        AnnotationReadOptions? options = null)
    {
        CheckSplitNumber(split);
        ArgumentException.ThrowIfNullOrWhiteSpace(splitFolder);
        var collector = new AnnotationCollector(mlContext, "FromHmdb51Split", videoFolder, options);
        string folder = Path.GetFullPath(splitFolder);
        string suffix = string.Create(CultureInfo.InvariantCulture, $"_test_split{split}.txt");
        var files = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*" + suffix).Order(StringComparer.Ordinal).ToList()
            : throw new DirectoryNotFoundException($"The split folder '{folder}' does not exist.");
        if (files.Count == 0)
            throw new FileNotFoundException($"The split folder '{folder}' has no '{{class}}{suffix}' file (HMDB51's testTrainMulti_7030_splits).", folder);
        foreach (var path in files)
        {
            string file = collector.RequireFile(path);
            string name = Path.GetFileName(file);
            string label = name[..^suffix.Length];
            foreach (var (line, text) in collector.Lines(file))
            {
                var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0)
                    continue;
                if (parts.Length != 2 || parts[1] is not ("0" or "1" or "2") || !IsPlainName(parts[0]))
                {
                    collector.Malformed(file, line, $"expected 'video.avi 0|1|2', got {AnnotationCollector.Quote(text)}.", parts[0]);
                    continue;
                }
                if (parts[1] == "0")
                    continue;
                collector.Add(file, line, new VideoAnnotation
                {
                    VideoPath = $"{label}/{parts[0]}", Label = label, Labels = [label], Split = parts[1] == "1" ? "train" : "test",
                });
            }
        }
        return collector.ToDataView(AnnotationColumns.Label | AnnotationColumns.Split);
    }
}
