using Microsoft.ML;

namespace MLNetVideo.Data;

/// <summary>Lazy view: the input with the mapping's columns appended.</summary>
internal sealed class MappedDataView : IDataView
{
    private readonly IDataView _input;
    private readonly ColumnMapping _mapping;

    public MappedDataView(IDataView input, ColumnMapping mapping)
    {
        _input = input;
        _mapping = mapping;
        Schema = MappedSchema.Build(input.Schema, mapping);
    }

    public bool CanShuffle => _input.CanShuffle;

    /// <summary>Whether the mapping may drop rows (its row filter then runs in every cursor).</summary>
    public bool MayDropRows => _mapping.MayDropRows;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _mapping.MayDropRows ? null : _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var (active, inputs) = MappedSchema.Split(_mapping, columnsNeeded);
        var cursor = _input.GetRowCursor(inputs.Select(i => _input.Schema[i]), rand);
        return new MappedCursor(Schema, cursor, _mapping, active);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
        => [GetRowCursor(columnsNeeded, rand)];
}
