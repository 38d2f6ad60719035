using Microsoft.ML;
using Microsoft.ML.Data;

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

/// <summary>Shared getter plumbing of <see cref="MappedCursor"/> and <see cref="MappedRow"/>.</summary>
internal sealed class MappedGetters
{
    private readonly DataViewRow _input;
    private readonly Delegate?[] _getters;
    private readonly int _inputCount;
    private readonly Action? _disposer;

    public MappedGetters(DataViewRow input, ColumnMapping mapping, bool[] active)
    {
        _input = input;
        _inputCount = mapping.InputSchema.Count;
        _getters = mapping.CreateGetters(input, active, out _disposer, out var filter);
        RowFilter = filter;
    }

    /// <summary>Returns false for an input row the mapping drops (null: keep all).</summary>
    public Func<bool>? RowFilter { get; }

    public bool IsActive(DataViewSchema.Column column)
        => column.Index < _inputCount ? _input.IsColumnActive(_input.Schema[column.Index]) : _getters[column.Index - _inputCount] is not null;

    public ValueGetter<TValue> Get<TValue>(DataViewSchema.Column column)
    {
        if (column.Index < _inputCount)
            return _input.GetGetter<TValue>(_input.Schema[column.Index]);
        var getter = _getters[column.Index - _inputCount]
            ?? throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was created.");
        return getter as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' holds {column.Type.RawType.Name}, not {typeof(TValue).Name}.");
    }

    public void Dispose() => _disposer?.Invoke();
}

internal sealed class MappedCursor : DataViewRowCursor
{
    private readonly DataViewRowCursor _input;
    private readonly MappedGetters _getters;
    private long _position = -1;
    private bool _disposed;

    public MappedCursor(DataViewSchema schema, DataViewRowCursor input, ColumnMapping mapping, bool[] active)
    {
        Schema = schema;
        _input = input;
        _getters = new MappedGetters(input, mapping, active);
    }

    public override DataViewSchema Schema { get; }

    // With a row filter, positions count the rows this cursor yields (ML.NET's cursor contract).
    public override long Position => _getters.RowFilter is null ? _input.Position : _position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _getters.IsActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _getters.Get<TValue>(column);

    public override bool MoveNext()
    {
        var filter = _getters.RowFilter;
        while (_input.MoveNext())
        {
            if (filter is null || filter())
            {
                _position++;
                return true;
            }
        }
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (disposing)
        {
            _getters.Dispose();
            _input.Dispose();
        }
        base.Dispose(disposing);
    }
}

internal sealed class MappedRow : DataViewRow
{
    private readonly DataViewRow _input;
    private readonly MappedGetters _getters;
    private bool _disposed;

    public MappedRow(DataViewSchema schema, DataViewRow input, ColumnMapping mapping, bool[] active)
    {
        Schema = schema;
        _input = input;
        _getters = new MappedGetters(input, mapping, active);
    }

    public override DataViewSchema Schema { get; }

    public override long Position => _input.Position;

    public override long Batch => _input.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => _input.GetIdGetter();

    public override bool IsColumnActive(DataViewSchema.Column column) => _getters.IsActive(column);

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => _getters.Get<TValue>(column);

    protected override void Dispose(bool disposing)
    {
        if (_disposed) return;
        _disposed = true;
        if (disposing)
            _getters.Dispose();
        base.Dispose(disposing);
    }
}

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
