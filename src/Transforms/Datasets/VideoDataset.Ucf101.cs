using System.Globalization;
using Microsoft.ML;

namespace MLNetVideo.Transforms.Datasets;

public static partial class VideoDataset
{
    /// <summary>
    /// Reads one of UCF101's three official train/test splits from its <c>ucfTrainTestlist</c> folder —
    /// <c>classInd.txt</c> (<c>1 ApplyEyeMakeup</c>), <c>trainlist0N.txt</c> (<c>ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1</c>)
    /// and <c>testlist0N.txt</c> (<c>ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi</c>) — into a data view with columns
    /// <c>VideoPath</c>, <c>Label</c> (the class name) and <c>Split</c> ("train" or "test"): the training list's rows first,
    /// then the test list's, each in file order. A training line whose class index disagrees with its folder's class is malformed.
    /// </summary>
    /// <param name="mlContext">The ML context.</param>
    /// <param name="splitFolder">The folder with <c>classInd.txt</c> and the split lists.</param>
    /// <param name="videoFolder">The <c>UCF-101</c> folder (one sub-folder per class); pass it to <c>LoadVideoFrames</c> too.</param>
    /// <param name="split">1, 2 or 3. Default 1.</param>
    /// <param name="options">Error policy and video checks; <see langword="null"/>: throw on the first problem, check videos.</param>
    /// <returns>The rows; filter with <c>mlContext.Data.FilterByCustomPredicate</c> or read <c>Split</c> to separate them.</returns>
    /// <example><code language="csharp">
    /// var all = VideoDataset.FromUcf101Split(mlContext, "ucfTrainTestlist", "UCF-101", split: 1);
    /// var train = mlContext.Data.FilterByCustomPredicate&lt;SplitRow&gt;(all, r =&gt; r.Split != "train");   // drops the rows where true
    /// </code></example>
    public static IDataView FromUcf101Split(MLContext mlContext, string splitFolder, string videoFolder, int split = 1,
        AnnotationReadOptions? options = null)
    {
        CheckSplitNumber(split);
        var collector = new AnnotationCollector(mlContext, "FromUcf101Split", videoFolder, options);
        string classFile = collector.RequireFile(Path.Combine(splitFolder, "classInd.txt"));
        var classes = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, text) in collector.Lines(classFile))
        {
            var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
                continue;
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                || !classes.TryAdd(parts[1], index))
                throw new InvalidDataException($"'{classFile}', line {line}: expected 'index ClassName' with a new class, got {AnnotationCollector.Quote(text)}.");
        }
        var names = classes.ToDictionary(c => c.Value, c => c.Key);
        string suffix = split.ToString("00", CultureInfo.InvariantCulture);
        foreach (var (listName, splitName) in new[] { ($"trainlist{suffix}.txt", "train"), ($"testlist{suffix}.txt", "test") })
        {
            string file = collector.RequireFile(Path.Combine(splitFolder, listName));
            foreach (var (line, text) in collector.Lines(file))
            {
                var parts = text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0)
                    continue;
                string path = parts[0];
                int slash = path.IndexOf('/');
                string folderClass = slash > 0 ? path[..slash] : "";
                if (parts.Length > 2 || slash <= 0 || !classes.ContainsKey(folderClass))
                {
                    collector.Malformed(file, line, $"expected 'ClassName/video.avi' with a class of classInd.txt{(splitName == "train" ? " and its index" : "")}, got {AnnotationCollector.Quote(text)}.", path);
                    continue;
                }
                if (parts.Length == 2 && (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index)
                    || !names.TryGetValue(index, out var indexed) || indexed != folderClass))
                {
                    collector.Malformed(file, line, $"the class index '{parts[1]}' is not that of '{folderClass}' ({classes[folderClass]}) in classInd.txt.", path);
                    continue;
                }
                collector.Add(file, line, new VideoAnnotation { VideoPath = path, Label = folderClass, Labels = [folderClass], Split = splitName });
            }
        }
        return collector.ToDataView(AnnotationColumns.Label | AnnotationColumns.Split);
    }

    private static void CheckSplitNumber(int split)
    {
        if (split is < 1 or > 3)
            throw new ArgumentOutOfRangeException(nameof(split), split, $"split must be 1, 2 or 3 (the dataset's three official splits); got {split}.");
    }
}
