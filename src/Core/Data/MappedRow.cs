using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Data;

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
