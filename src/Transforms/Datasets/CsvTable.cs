namespace MLNetVideo.Transforms.Datasets;

/// <summary>A CSV file with a header row: its columns by name, then its records. A record that cannot be read is a
/// malformed line and ends the file (an unclosed quote swallows the rest).</summary>
internal sealed class CsvTable
{
    private readonly AnnotationCollector _collector;
    private readonly IEnumerator<CsvRecord> _records;
    private readonly List<string> _columns;

    private CsvTable(AnnotationCollector collector, string file, IEnumerator<CsvRecord> records, List<string> columns)
    {
        (_collector, File, _records, _columns) = (collector, file, records, columns);
    }

    /// <summary>The full path of the file.</summary>
    public string File { get; }

    /// <summary>Reads the header; throws naming the file when it lacks one of <paramref name="required"/>.</summary>
    /// <param name="collector">The read in progress.</param>
    /// <param name="path">The CSV file.</param>
    /// <param name="required">Columns the format needs.</param>
    /// <param name="format">The expected header, for the message ("label,youtube_id,…").</param>
    public static CsvTable Open(AnnotationCollector collector, string path, IReadOnlyList<string> required, string format)
    {
        string file = collector.RequireFile(path);
        var records = CsvRecords.Read(collector.Lines(file)).GetEnumerator();
        var header = records.MoveNext() && records.Current.Error is null ? records.Current : default;
        var columns = (header.Fields ?? []).Select(n => n.Trim()).ToList();
        if (required.Any(r => !columns.Contains(r)))
            throw new InvalidDataException($"'{file}', line {Math.Max(1, header.Line)}: the header must name the columns {string.Join(", ", required)} " +
                $"({format}); got {AnnotationCollector.Quote(string.Join(',', header.Fields ?? []))}.");
        return new CsvTable(collector, file, records, columns);
    }

    /// <summary>The position of a column, or -1.</summary>
    public int IndexOf(string column) => _columns.IndexOf(column);

    /// <summary>The records after the header.</summary>
    public IEnumerable<CsvRecord> Records()
    {
        using var records = _records;
        while (records.MoveNext())
        {
            if (records.Current.Error is { } error)
            {
                _collector.Malformed(File, records.Current.Line, error);
                yield break;
            }
            yield return records.Current;
        }
    }
}
