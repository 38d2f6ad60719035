using Microsoft.ML;

namespace MLNetVideo.Transforms.Datasets;

public static partial class VideoDataset
{
    /// <summary>
    /// Reads a Charades annotation CSV (<c>Charades_v1_train.csv</c> / <c>_test.csv</c>: columns <c>id</c> and <c>actions</c>,
    /// the latter like <c>c092 11.90 21.20;c147 0.00 12.60</c>), a multi-label format: several actions, each with its time
    /// span, per video. <see cref="CharadesRows.PerVideo"/> gives <c>VideoPath</c> (<c>{id}.mp4</c>), <c>Label</c> and
    /// <c>Labels</c> (every class of the video, in file order without repeats; empty for a video without actions);
    /// <see cref="CharadesRows.PerAction"/> gives <c>VideoPath</c>, <c>Label</c>, <c>StartSeconds</c> and <c>EndSeconds</c>.
    /// </summary>
    /// <param name="mlContext">The ML context.</param>
    /// <param name="csvFile">The annotation CSV.</param>
    /// <param name="videoFolder">The folder of the videos (<c>Charades_v1_480</c>); pass it to <c>LoadVideoFrames</c> too.</param>
    /// <param name="classesFile">Optional <c>Charades_v1_classes.txt</c> (<c>c000 Holding some clothes</c>): labels become class names
    /// and an unknown class is malformed. <see langword="null"/> (default): labels are the class ids (<c>c092</c>).</param>
    /// <param name="rows">One row per video (default) or per action.</param>
    /// <param name="options">Error policy and video checks; <see langword="null"/>: throw on the first problem, check videos.</param>
    /// <returns>The rows, in the order of the file.</returns>
    public static IDataView FromCharadesCsv(MLContext mlContext, string csvFile, string videoFolder, string? classesFile = null,
        CharadesRows rows = CharadesRows.PerVideo, AnnotationReadOptions? options = null)
    {
        var collector = new AnnotationCollector(mlContext, "FromCharadesCsv", videoFolder, options);
        Errors.OptionChecks.Defined(rows, nameof(rows));
        Dictionary<string, string>? names = null;
        if (classesFile is not null)
        {
            string classes = collector.RequireFile(classesFile);
            names = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (line, text) in collector.Lines(classes))
            {
                if (string.IsNullOrWhiteSpace(text))
                    continue;
                int space = text.IndexOf(' ');
                if (space <= 0 || !names.TryAdd(text[..space], text[(space + 1)..].Trim()))
                    throw new InvalidDataException($"'{classes}', line {line}: expected 'c000 Class name' with a new id, got {AnnotationCollector.Quote(text)}.");
            }
        }
        var table = CsvTable.Open(collector, csvFile, ["id", "actions"], "Charades_v1_*.csv");
        string file = table.File;
        var (id, actions) = (table.IndexOf("id"), table.IndexOf("actions"));
        foreach (var record in table.Records())
        {
            var f = record.Fields;
            if (f.Length <= Math.Max(id, actions) || f[id].Trim() is not { Length: > 0 } videoId || !IsPlainName(videoId))
            {
                collector.Malformed(file, record.Line, "expected a video id and the fields of the header.");
                continue;
            }
            var parsed = new List<(string Label, double Start, double End)>();
            string? bad = null;
            foreach (var action in f[actions].Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = action.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length != 3 || AnnotationCollector.ParseSeconds(parts[1]) is not double start
                    || AnnotationCollector.ParseSeconds(parts[2]) is not double end || end <= start)
                {
                    bad = $"the action '{action}' is not 'class start end' with seconds start < end.";
                    break;
                }
                string? label = names is null ? parts[0] : names.GetValueOrDefault(parts[0]);
                if (label is null)
                {
                    bad = $"the action class '{parts[0]}' is not in '{classesFile}'.";
                    break;
                }
                parsed.Add((label, start, end));
            }
            if (bad is not null)
            {
                collector.Malformed(file, record.Line, bad, videoId + ".mp4");
                continue;
            }
            if (rows == CharadesRows.PerVideo)
            {
                string[] labels = [.. parsed.Select(a => a.Label).Distinct()];
                collector.Add(file, record.Line, new VideoAnnotation { VideoPath = videoId + ".mp4", Label = labels.FirstOrDefault() ?? "", Labels = labels });
            }
            else
            {
                foreach (var (label, start, end) in parsed)
                    collector.Add(file, record.Line, new VideoAnnotation
                    {
                        VideoPath = videoId + ".mp4", Label = label, Labels = [label], StartSeconds = start, EndSeconds = end,
                    });
            }
        }
        return collector.ToDataView(AnnotationColumns.Label
            | (rows == CharadesRows.PerVideo ? AnnotationColumns.Labels : AnnotationColumns.Segment));
    }
}
