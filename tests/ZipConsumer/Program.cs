// Loads model zips and prints the named float-vector column of every row of a CSV-free input:
//   args: <model.zip> <input column name> <output column name> <comma-separated floats per row>...
//   or:   --batch <list file>, each line "<model.zip>\t<input column>\t<output column>\t<rows file>" (one row of
//         comma-separated floats per line of the rows file); prints "== <model.zip>" before each zip's rows, so one
//         process loads many zips (the backbone contract test loads every family's in one).
//   or:   --classify <model.zip> <input column> <resaved.zip or -> <comma-separated floats per row>...: a classifier zip
//         (Score and PredictedLabel columns, such as the libtorch-free one); prints "mlnet <ML.NET version>", then per row
//         "<predicted label's name>\t<scores>", then saves the loaded model again under this process's ML.NET (unless "-").
// It uses ML.NET only; MLNetVideo is reached through the zip's own loader records.
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length == 2 && args[0] == "--batch")
{
    foreach (var line in File.ReadLines(args[1]).Where(l => l.Length > 0))
    {
        var parts = line.Split('\t');
        Console.WriteLine("== " + parts[0]);
        Score(parts[0], parts[1], parts[2], File.ReadLines(parts[3]).Where(l => l.Length > 0));
    }
    return 0;
}
if (args.Length >= 5 && args[0] == "--classify")
{
    Classify(args[1], args[2], args[3], args.Skip(4));
    return 0;
}
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: MLNetVideo.ZipConsumer <model.zip> <input column> <output column> <row floats>... | --batch <list file>"
        + " | --classify <model.zip> <input column> <resaved.zip|-> <row floats>...");
    return 2;
}
Score(args[0], args[1], args[2], args.Skip(3));
return 0;

static void Score(string zip, string inputName, string outputName, IEnumerable<string> rowTexts)
{
    var mlContext = new MLContext(seed: 123);
    var model = mlContext.Model.Load(zip, out var inputSchema);
    var output = model.Transform(Input(mlContext, inputSchema, inputName, rowTexts));
    foreach (var values in Vectors(output, outputName))
        Console.WriteLine(Text(values));
    (model as IDisposable)?.Dispose();
}

static void Classify(string zip, string inputName, string resaved, IEnumerable<string> rowTexts)
{
    var mlContext = new MLContext(seed: 123);
    var model = mlContext.Model.Load(zip, out var inputSchema);
    Console.WriteLine("mlnet " + typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion);
    var output = model.Transform(Input(mlContext, inputSchema, inputName, rowTexts));
    var names = default(VBuffer<ReadOnlyMemory<char>>);
    output.Schema["PredictedLabel"].GetKeyValues(ref names);
    var labels = output.GetColumn<uint>("PredictedLabel").Select(key => key == 0 ? "?" : names.GetItemOrDefault((int)key - 1).ToString());
    foreach (var (label, scores) in labels.Zip(Vectors(output, "Score")))
        Console.WriteLine(label + "\t" + Text(scores));
    if (resaved != "-")
        mlContext.Model.Save(model, inputSchema, resaved);
    (model as IDisposable)?.Dispose();
}

// One row a text of comma-separated floats, as the zip's input column (its shape read from the zip's input schema).
static IDataView Input(MLContext mlContext, DataViewSchema inputSchema, string inputName, IEnumerable<string> rowTexts)
{
    var dimensions = ((VectorDataViewType)inputSchema[inputName].Type).Dimensions.ToArray();
    var rows = rowTexts.Select(r => r.Split(',').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();
    var definition = SchemaDefinition.Create(typeof(Row));
    var valuesColumn = definition[nameof(Row.Values)];
    valuesColumn.ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
    valuesColumn.ColumnName = inputName;
    return mlContext.Data.LoadFromEnumerable(rows.Select(r => new Row { Values = r }), definition);
}

static IEnumerable<float[]> Vectors(IDataView view, string name)
{
    var column = view.Schema[name];
    using var cursor = view.GetRowCursor(new[] { column });
    var getter = cursor.GetGetter<VBuffer<float>>(column);
    var value = default(VBuffer<float>);
    while (cursor.MoveNext())
    {
        getter(ref value);
        yield return value.DenseValues().ToArray();
    }
}

static string Text(float[] values) => string.Join(",", values.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

internal sealed class Row
{
    public float[] Values { get; set; } = [];

    // Pipelines that start with MapValueToKey("...", "Label") need the column even at prediction time.
    public string Label { get; set; } = "";
}
