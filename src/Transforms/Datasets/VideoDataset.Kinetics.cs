using System.Globalization;
using Microsoft.ML;

namespace MLNetVideo.Transforms.Datasets;

public static partial class VideoDataset
{
    private static readonly string[] KineticsExtensions = [".mp4", ".mkv", ".webm"];

    /// <summary>
    /// Reads a Kinetics (400/600/700) annotation CSV — header <c>label,youtube_id,time_start,time_end,split</c> (the test
    /// CSVs have no <c>label</c>; an <c>is_cc</c> column is ignored) — into a data view with columns <c>VideoPath</c>,
    /// <c>Label</c> (empty without a label column), <c>Split</c> and, for <see cref="KineticsVideoNaming.Id"/>,
    /// <c>StartSeconds</c>/<c>EndSeconds</c>.
    /// </summary>
    /// <remarks>
    /// With video checks on, each video is looked for, in this order, in <c>{label}/</c> (the official downloader's layout),
    /// in <c>{label with '_' for ' '}/</c>, in <c>{split}/</c> (the CVDF archives' <c>train/</c>, <c>val/</c>, <c>test/</c>) and in the video folder itself, as
    /// <c>.mp4</c>, then <c>.mkv</c>, then <c>.webm</c>; the row gets the first that exists. Without checks the path is
    /// <c>{label}/{name}.mp4</c> (<c>{split}/…</c> without a label).
    /// </remarks>
    /// <param name="mlContext">The ML context.</param>
    /// <param name="csvFile">The annotation CSV (for example <c>kinetics400/train.csv</c>).</param>
    /// <param name="videoFolder">Where the videos are; pass it to <c>LoadVideoFrames</c> too.</param>
    /// <param name="naming">How the video files are named. Default <see cref="KineticsVideoNaming.IdAndTimeRange"/>.</param>
    /// <param name="options">Error policy and video checks; <see langword="null"/>: throw on the first problem, check videos.</param>
    /// <returns>The rows, in the order of the file.</returns>
    /// <exception cref="InvalidDataException">The header lacks <c>youtube_id</c>, <c>time_start</c> or <c>time_end</c>; or (under
    /// Throw) a malformed line.</exception>
    /// <example><code language="csharp">
    /// var opts = new AnnotationReadOptions { OnError = DecodeErrorPolicy.Skip };   // a few percent of YouTube videos are gone
    /// var train = VideoDataset.FromKineticsCsv(mlContext, "k400/annotations/train.csv", "k400/train", options: opts);
    /// </code></example>
    public static IDataView FromKineticsCsv(MLContext mlContext, string csvFile, string videoFolder,
        KineticsVideoNaming naming = KineticsVideoNaming.IdAndTimeRange, AnnotationReadOptions? options = null)
    {
        var collector = new AnnotationCollector(mlContext, "FromKineticsCsv", videoFolder, options);
        Errors.OptionChecks.Defined(naming, nameof(naming));
        var table = CsvTable.Open(collector, csvFile, ["youtube_id", "time_start", "time_end"], "Kinetics: label,youtube_id,time_start,time_end,split");
        string file = table.File;
        var (label, id, start, end, split) = (table.IndexOf("label"), table.IndexOf("youtube_id"), table.IndexOf("time_start"),
            table.IndexOf("time_end"), table.IndexOf("split"));
        foreach (var record in table.Records())
        {
            var f = record.Fields;
            int needed = new[] { label, id, start, end, split }.Max() + 1;
            if (f.Length < needed)
            {
                collector.Malformed(file, record.Line, $"expected {needed} fields as in the header, got {f.Length}.");
                continue;
            }
            string youtubeId = f[id].Trim();
            if (youtubeId.Length == 0 || youtubeId.Any(c => c is '/' or '\\') || youtubeId is "." or "..")
            {
                collector.Malformed(file, record.Line, $"'{youtubeId}' is not a video id.");
                continue;
            }
            var (from, to) = (AnnotationCollector.ParseSeconds(f[start].Trim()), AnnotationCollector.ParseSeconds(f[end].Trim()));
            if (from is not double s || to is not double e || e <= s)
            {
                collector.Malformed(file, record.Line, $"time_start '{f[start]}' and time_end '{f[end]}' must be seconds with time_start < time_end.", youtubeId);
                continue;
            }
            string labelText = label >= 0 ? f[label].Trim() : "";
            string splitText = split >= 0 ? f[split].Trim() : "";
            string name = naming == KineticsVideoNaming.Id ? youtubeId
                : string.Create(CultureInfo.InvariantCulture, $"{youtubeId}_{(long)s:000000}_{(long)e:000000}");
            var folders = new[] { labelText, labelText.Replace(' ', '_'), splitText, "" }.Where(d => d.Length == 0 || IsPlainName(d)).Distinct().ToList();
            folders.Remove("");
            folders.Add("");
            var candidates = folders.SelectMany(d => KineticsExtensions.Select(x => d.Length == 0 ? name + x : $"{d}/{name}{x}")).ToList();
            var row = new VideoAnnotation { VideoPath = candidates[0], Label = labelText, Labels = [labelText], Split = splitText };
            if (naming == KineticsVideoNaming.Id)
                (row.StartSeconds, row.EndSeconds) = (s, e);
            collector.Add(file, record.Line, row, candidates.Skip(1).ToList());
        }
        return collector.ToDataView(AnnotationColumns.Label | AnnotationColumns.Split
            | (naming == KineticsVideoNaming.Id ? AnnotationColumns.Segment : 0));
    }

    /// <summary>A folder name taken from the data that stays one level under the video folder.</summary>
    private static bool IsPlainName(string name)
        => name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0;
}
