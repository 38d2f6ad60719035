using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Data;

/// <summary>Lets <c>PredictionEngine</c> run the mapping one row at a time.</summary>
internal sealed class MappedRowToRowMapper : IRowToRowMapper
{
    private readonly ColumnMapping _mapping;

    public MappedRowToRowMapper(ColumnMapping mapping)
    {
        _mapping = mapping;
        OutputSchema = MappedSchema.Build(mapping.InputSchema, mapping);
    }

    public DataViewSchema InputSchema => _mapping.InputSchema;

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
        => MappedSchema.Split(_mapping, dependingColumns).InputIndices.Select(i => InputSchema[i]).ToList();

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        var (active, _) = MappedSchema.Split(_mapping, activeColumns);
        return new MappedRow(OutputSchema, input, _mapping, active);
    }
}
