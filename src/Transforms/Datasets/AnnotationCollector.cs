using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Interop;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Transforms.Datasets;

/// <summary>
/// Collects the rows of one annotation read: applies the user's error policy to malformed lines and missing videos
/// (throw naming file and line, or leave out / keep and report), and builds the data view with the format's columns.
/// </summary>
internal sealed class AnnotationCollector
{
    private readonly AnnotationReadOptions _options;
    private readonly MLContext _mlContext;
    private readonly string _source;
    private readonly List<VideoAnnotation> _rows = [];
    private readonly List<AnnotationProblem> _problems = [];
    private readonly List<string> _files = [];

    public AnnotationCollector(MLContext mlContext, string source, string videoFolder, AnnotationReadOptions? options)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrWhiteSpace(videoFolder);
        _mlContext = mlContext;
        _source = source;
        _options = options ?? new AnnotationReadOptions();
        Errors.OptionChecks.Defined(_options.OnError, nameof(AnnotationReadOptions.OnError));
        VideoFolder = Path.GetFullPath(videoFolder);
        if (_options.CheckVideosExist && !Directory.Exists(VideoFolder))
            throw new DirectoryNotFoundException($"The video folder '{VideoFolder}' does not exist.");
    }

    /// <summary>Full path of the folder the video paths are relative to.</summary>
    public string VideoFolder { get; }

    public IReadOnlyList<AnnotationProblem> Problems => _problems;

    /// <summary>The lines of a text file, numbered from 1, without line ends; the file is named when it is missing.</summary>
    public IEnumerable<(int Line, string Text)> Lines(string file)
    {
        string full = RequireFile(file);
        int number = 0;
        foreach (var text in File.ReadLines(full, Encoding.UTF8))
            yield return (++number, text);
    }

    /// <summary>Full path of an annotation file that must exist.</summary>
    public string RequireFile(string file)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(file);
        string full = Path.GetFullPath(file);
        if (!File.Exists(full))
            throw new FileNotFoundException($"The annotation file '{full}' does not exist.", full);
        if (!_files.Contains(full))
            _files.Add(full);
        return full;
    }

    /// <summary>A line that cannot be read: an <see cref="InvalidDataException"/> under Throw, otherwise left out and reported.</summary>
    public void Malformed(string file, int line, string reason, string? videoPath = null)
    {
        if (_options.OnError == DecodeErrorPolicy.Throw)
            throw new InvalidDataException($"'{file}', line {line}: {reason}");
        Report(new AnnotationProblem(file, line, reason, videoPath, Kept: false));
    }

    /// <summary>Adds a row whose video is <see cref="VideoAnnotation.VideoPath"/>, or the first of
    /// <paramref name="alternatives"/> that exists (the row's path is then set to it).</summary>
    public void Add(string file, int line, VideoAnnotation row, IReadOnlyList<string>? alternatives = null)
    {
        if (!_options.CheckVideosExist)
        {
            _rows.Add(row);
            return;
        }
        foreach (var candidate in alternatives is null ? [row.VideoPath] : alternatives.Prepend(row.VideoPath))
        {
            string full;
            try
            {
                full = Path.GetFullPath(candidate, VideoFolder);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
            {
                Malformed(file, line, $"the video path '{candidate}' is not a valid path ({e.Message}).", candidate);
                return;
            }
            if (File.Exists(full) || Directory.Exists(full))
            {
                row.VideoPath = candidate;
                _rows.Add(row);
                return;
            }
        }
        string tried = alternatives is { Count: > 0 } ? $" (nor {string.Join(", ", alternatives.Select(a => $"'{a}'"))})" : "";
        string reason = $"the video '{row.VideoPath}'{tried} does not exist in '{VideoFolder}'.";
        switch (_options.OnError)
        {
            case DecodeErrorPolicy.Throw:
                throw new FileNotFoundException($"'{file}', line {line}: {reason} Set AnnotationReadOptions.OnError = Skip to leave out " +
                    "rows whose video is missing, or CheckVideosExist = false to keep them unchecked.", Path.Combine(VideoFolder, row.VideoPath));
            case DecodeErrorPolicy.Fill:
                _rows.Add(row);
                Report(new AnnotationProblem(file, line, reason, row.VideoPath, Kept: true));
                break;
            default:
                Report(new AnnotationProblem(file, line, reason, row.VideoPath, Kept: false));
                break;
        }
    }

    private void Report(AnnotationProblem problem)
    {
        _problems.Add(problem);
        _options.OnProblem?.Invoke(problem);
        MLNetHost.LogWarning(_mlContext, _source, problem.ToString());
    }

    /// <summary>The rows as a data view with only <paramref name="columns"/>.</summary>
    public IDataView ToDataView(AnnotationColumns columns)
    {
        if (_rows.Count == 0)
            throw new InvalidDataException($"No rows were read from {string.Join(", ", _files.Select(f => $"'{f}'"))}" +
                (_problems.Count > 0 ? $": all {_problems.Count} had problems; the first: {_problems[0]}" : ": the file has no annotation lines."));
        if (_problems.Count > 0)
            MLNetHost.LogWarning(_mlContext, _source,
                $"Read {_rows.Count} rows; {_problems.Count(p => !p.Kept)} lines left out and {_problems.Count(p => p.Kept)} rows kept with a missing video.");
        var definition = SchemaDefinition.Create(typeof(VideoAnnotation));
        definition.RemoveAll(c => !Has(columns, c.ColumnName));
        return _mlContext.Data.LoadFromEnumerable(_rows, definition);
    }

    private static bool Has(AnnotationColumns columns, string name) => name switch
    {
        nameof(VideoAnnotation.VideoPath) => true,
        nameof(VideoAnnotation.Label) => columns.HasFlag(AnnotationColumns.Label),
        nameof(VideoAnnotation.Labels) => columns.HasFlag(AnnotationColumns.Labels),
        nameof(VideoAnnotation.StartSeconds) or nameof(VideoAnnotation.EndSeconds) => columns.HasFlag(AnnotationColumns.Segment),
        nameof(VideoAnnotation.Split) => columns.HasFlag(AnnotationColumns.Split),
        _ => false,
    };

    /// <summary>Parses a time in seconds (invariant culture); null when it is not a finite number ≥ 0.</summary>
    public static double? ParseSeconds(string text)
        => double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double value)
            && double.IsFinite(value) && value >= 0 ? value : null;

    /// <summary>A line shortened for a message.</summary>
    public static string Quote(string line) => line.Length <= 120 ? $"'{line}'" : $"'{line[..117]}...'";
}
