// Loads model zips and prints the named float-vector column of every row of a CSV-free input:
//   args: <model.zip> <input column name> <output column name> <comma-separated floats per row>...
//   or:   --batch <list file>, each line "<model.zip>\t<input column>\t<output column>\t<rows file>" (one row of
//         comma-separated floats per line of the rows file); prints "== <model.zip>" before each zip's rows, so one
//         process loads many zips (the backbone contract test loads every family's in one).
// It uses ML.NET only; MLNetVideo is reached through the zip's own loader records.
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
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: MLNetVideo.ZipConsumer <model.zip> <input column> <output column> <row floats>... | --batch <list file>");
    return 2;
}
Score(args[0], args[1], args[2], args.Skip(3));
return 0;

static void Score(string zip, string inputName, string outputName, IEnumerable<string> rowTexts)
{
    var mlContext = new MLContext(seed: 123);
    var model = mlContext.Model.Load(zip, out var inputSchema);
    var inputColumn = inputSchema[inputName];
    var dimensions = ((VectorDataViewType)inputColumn.Type).Dimensions.ToArray();
    var rows = rowTexts.Select(r => r.Split(',').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();

    var definition = SchemaDefinition.Create(typeof(Row));
    var valuesColumn = definition[nameof(Row.Values)];
    valuesColumn.ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
    valuesColumn.ColumnName = inputName;
    var input = mlContext.Data.LoadFromEnumerable(rows.Select(r => new Row { Values = r }), definition);
    var output = model.Transform(input);
    var column = output.Schema[outputName];
    using (var cursor = output.GetRowCursor(new[] { column }))
    {
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            Console.WriteLine(string.Join(",", value.DenseValues().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
        }
    }
    (model as IDisposable)?.Dispose();
}

internal sealed class Row
{
    public float[] Values { get; set; } = [];

    // Pipelines that start with MapValueToKey("...", "Label") need the column even at prediction time.
    public string Label { get; set; } = "";
}
