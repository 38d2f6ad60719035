using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Data;

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
