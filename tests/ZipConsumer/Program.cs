// Loads a model zip and prints the named float-vector column of every row of a CSV-free input:
// args: <model.zip> <input column name> <output column name> <comma-separated floats per row>...
// It uses ML.NET only; MLNetVideo is reached through the zip's own loader records.
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: MLNetVideo.ZipConsumer <model.zip> <input column> <output column> <row floats>...");
    return 2;
}

var mlContext = new MLContext(seed: 123);
var model = mlContext.Model.Load(args[0], out var inputSchema);
var inputColumn = inputSchema[args[1]];
int width = ((VectorDataViewType)inputColumn.Type).Size;
var rows = args.Skip(3).Select(r => r.Split(',').Select(s => float.Parse(s, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToList();

var definition = SchemaDefinition.Create(typeof(Row));
var valuesColumn = definition[nameof(Row.Values)];
valuesColumn.ColumnType = new VectorDataViewType(NumberDataViewType.Single, width);
valuesColumn.ColumnName = args[1];
var input = mlContext.Data.LoadFromEnumerable(rows.Select(r => new Row { Values = r }), definition);
var output = model.Transform(input);
var column = output.Schema[args[2]];
using var cursor = output.GetRowCursor(new[] { column });
var getter = cursor.GetGetter<VBuffer<float>>(column);
var value = default(VBuffer<float>);
while (cursor.MoveNext())
{
    getter(ref value);
    Console.WriteLine(string.Join(",", value.DenseValues().Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture))));
}
return 0;

internal sealed class Row
{
    public float[] Values { get; set; } = [];

    // Pipelines that start with MapValueToKey("...", "Label") need the column even at prediction time.
    public string Label { get; set; } = "";
}
