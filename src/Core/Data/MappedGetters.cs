using Microsoft.ML;

namespace MLNetVideo.Data;

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
