using System.Text;

namespace MLNetVideo.Transforms.Datasets;

/// <summary>RFC 4180 records (quoted fields may hold the delimiter, doubled quotes and line breaks), as the Kinetics and
/// Charades files are written by Python's csv module and pandas.</summary>
internal static class CsvRecords
{
    public static IEnumerable<CsvRecord> Read(IEnumerable<(int Line, string Text)> lines, char delimiter = ',')
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        int start = 0;
        foreach (var (line, text) in lines)
        {
            if (!quoted)
            {
                start = line;
                if (text.Length == 0)
                    continue;
            }
            else
            {
                field.Append('\n');
            }
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (quoted)
                {
                    if (c != '"')
                        field.Append(c);
                    else if (i + 1 < text.Length && text[i + 1] == '"')
                        field.Append(text[++i]);
                    else
                        quoted = false;
                }
                else if (c == '"' && field.Length == 0)
                {
                    quoted = true;
                }
                else if (c == delimiter)
                {
                    fields.Add(field.ToString());
                    field.Clear();
                }
                else
                {
                    field.Append(c);
                }
            }
            if (quoted)
                continue;
            fields.Add(field.ToString());
            field.Clear();
            yield return new CsvRecord(start, [.. fields], null);
            fields.Clear();
        }
        if (quoted)
            yield return new CsvRecord(start, [], "a quoted field is not closed before the end of the file.");
    }
}
