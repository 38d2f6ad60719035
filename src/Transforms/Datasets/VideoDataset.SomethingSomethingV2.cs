using System.Text.Json;
using Microsoft.ML;

namespace MLNetVideo.Transforms.Datasets;

public static partial class VideoDataset
{
    /// <summary>
    /// Reads a Something-Something v2 annotation file (<c>something-something-v2-train.json</c> or <c>-validation.json</c>:
    /// an array of <c>{"id": "78687", "label": "…", "template": "Holding [something] next to [something]", "placements": […]}</c>)
    /// into a data view with columns <c>VideoPath</c> (<c>{id}.webm</c>) and <c>Label</c>: the template without its
    /// brackets ("Holding something next to something"), which is how <c>labels.json</c> names the 174 classes. Entries
    /// without a template (the test file holds only ids) get an empty label.
    /// </summary>
    /// <param name="mlContext">The ML context.</param>
    /// <param name="annotationJson">The annotation file.</param>
    /// <param name="videoFolder">The folder of the <c>.webm</c> videos (<c>20bn-something-something-v2</c>); pass it to <c>LoadVideoFrames</c> too.</param>
    /// <param name="labelsJson">Optional <c>labels.json</c> (<c>{"Approaching something with your camera": "0", …}</c>); when given, an
    /// entry whose class it does not list is malformed.</param>
    /// <param name="options">Error policy and video checks; <see langword="null"/>: throw on the first problem, check videos.</param>
    /// <returns>The rows, in the order of the file.</returns>
    /// <exception cref="InvalidDataException">A file is not valid JSON (named with the line), is not shaped as described, or (under
    /// Throw) an entry is malformed; the line named is where the entry starts.</exception>
    /// <example><code language="csharp">
    /// var train = VideoDataset.FromSomethingSomethingV2(mlContext, "labels/train.json", "20bn-something-something-v2",
    ///     labelsJson: "labels/labels.json");
    /// </code></example>
    public static IDataView FromSomethingSomethingV2(MLContext mlContext, string annotationJson, string videoFolder,
        string? labelsJson = null, AnnotationReadOptions? options = null)
    {
        var collector = new AnnotationCollector(mlContext, "FromSomethingSomethingV2", videoFolder, options);
        HashSet<string>? classes = null;
        if (labelsJson is not null)
        {
            string labelsFile = collector.RequireFile(labelsJson);
            using var document = ParseJsonFile(labelsFile);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{labelsFile}', line 1: expected an object {{\"class name\": \"index\", …}}.");
            classes = new HashSet<string>(document.RootElement.EnumerateObject().Select(p => p.Name), StringComparer.Ordinal);
        }
        string file = collector.RequireFile(annotationJson);
        ForEachJsonArrayEntry(file, (line, e) =>
        {
            string? id = e.ValueKind == JsonValueKind.Object && e.TryGetProperty("id", out var idValue)
                ? idValue.ValueKind switch { JsonValueKind.String => idValue.GetString(), JsonValueKind.Number => idValue.GetRawText(), _ => null }
                : null;
            if (id is null || id.Length == 0 || !IsPlainName(id))
            {
                collector.Malformed(file, line, "expected an object with an \"id\" (the video's file name without .webm).");
                return;
            }
            string label = "";
            if (e.TryGetProperty("template", out var template))
            {
                if (template.ValueKind != JsonValueKind.String)
                {
                    collector.Malformed(file, line, $"the \"template\" of id {id} is not text.", id + ".webm");
                    return;
                }
                label = template.GetString()!.Replace("[", "", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal);
                if (classes is not null && !classes.Contains(label))
                {
                    collector.Malformed(file, line, $"the class \"{label}\" (id {id}) is not in '{labelsJson}'.", id + ".webm");
                    return;
                }
            }
            collector.Add(file, line, new VideoAnnotation { VideoPath = id + ".webm", Label = label, Labels = [label] });
        });
        return collector.ToDataView(AnnotationColumns.Label);
    }

    private static readonly JsonReaderOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static JsonDocument ParseJsonFile(string file)
    {
        try
        {
            return JsonDocument.Parse(WithoutBom(File.ReadAllBytes(file)), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}', line {e.LineNumber + 1}: not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Calls <paramref name="onEntry"/> with each entry of a JSON array file and the line the entry starts on.</summary>
    private static void ForEachJsonArrayEntry(string file, Action<int, JsonElement> onEntry)
    {
        var bytes = WithoutBom(File.ReadAllBytes(file));
        try
        {
            var reader = new Utf8JsonReader(bytes.Span, JsonOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
                throw new InvalidDataException($"'{file}', line 1: expected a JSON array of entries.");
            int line = 1;
            long counted = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                long start = reader.TokenStartIndex;
                line += bytes.Span[(int)counted..(int)start].Count((byte)'\n');
                counted = start;
                using var entry = JsonDocument.ParseValue(ref reader);
                onEntry(line, entry.RootElement);
            }
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{file}', line {e.LineNumber + 1}: not valid JSON ({e.Message})", e);
        }
    }

    private static ReadOnlyMemory<byte> WithoutBom(byte[] bytes)
        => bytes.AsMemory(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0);
}
