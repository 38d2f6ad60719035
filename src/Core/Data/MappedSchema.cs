using Microsoft.ML;

namespace MLNetVideo.Data;

/// <summary>Output schema of a mapping: every input column (same indices), then the new columns.</summary>
internal static class MappedSchema
{
    public static DataViewSchema Build(DataViewSchema input, ColumnMapping mapping)
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input);
        foreach (var column in mapping.OutputColumns)
            builder.AddColumn(column.Name, column.Type, column.Annotations);
        return builder.ToSchema();
    }

    /// <summary>Splits requested output-schema columns into active new columns and needed input columns.</summary>
    public static (bool[] ActiveOutputs, HashSet<int> InputIndices) Split(ColumnMapping mapping, IEnumerable<DataViewSchema.Column> requested)
    {
        int inputCount = mapping.InputSchema.Count;
        var active = new bool[mapping.OutputColumns.Count];
        var inputs = new HashSet<int>();
        foreach (var column in requested)
        {
            if (column.Index < inputCount) inputs.Add(column.Index);
            else active[column.Index - inputCount] = true;
        }
        foreach (var dependency in mapping.GetDependencies(active))
            inputs.Add(dependency.Index);
        return (active, inputs);
    }
}
