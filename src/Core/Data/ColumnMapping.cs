using Microsoft.ML;

namespace MLNetVideo.Data;

/// <summary>
/// What a row-mapping transformer adds to a schema, and how to compute it from an input row.
/// One instance is made per input schema; <see cref="CreateGetters(DataViewRow, bool[], out Action?)"/> runs once per cursor or row,
/// so per-cursor buffers live in the getters' closure and need no locking.
/// </summary>
public abstract class ColumnMapping
{
    /// <summary>Creates a mapping over <paramref name="inputSchema"/>.</summary>
    /// <param name="inputSchema">The validated input schema.</param>
    protected ColumnMapping(DataViewSchema inputSchema) => InputSchema = inputSchema;

    /// <summary>The input schema.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>The columns this mapping adds, in order.</summary>
    public abstract IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    /// <summary>The input columns needed to compute the active outputs.</summary>
    /// <param name="activeOutputs">Per output column, whether it is requested.</param>
    /// <returns>The input columns to activate.</returns>
    public abstract IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs);

    /// <summary>Getters for the active outputs over <paramref name="input"/> (null for inactive ones),
    /// each a <c>ValueGetter&lt;T&gt;</c> of its column's raw type.</summary>
    /// <param name="input">The input row or cursor; it advances under the getters.</param>
    /// <param name="activeOutputs">Per output column, whether it is requested.</param>
    /// <param name="disposer">Releases per-cursor resources when the cursor is disposed (or null).</param>
    /// <returns>One delegate per output column.</returns>
    public abstract Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer);

    /// <summary>Whether <see cref="CreateGetters(DataViewRow, bool[], out Action?, out Func{bool}?)"/> may return a row filter,
    /// so cursors may yield fewer rows than the input (the row count is then unknown). Default false.</summary>
    public virtual bool MayDropRows => false;

    /// <summary>Like <see cref="CreateGetters(DataViewRow, bool[], out Action?)"/>, and also a row filter: a cursor calls it
    /// after each input move and skips the row when it returns false. Single-row contexts (<c>PredictionEngine</c>)
    /// cannot drop a row and do not call it. The default returns no filter.</summary>
    /// <param name="input">The input row or cursor; it advances under the getters.</param>
    /// <param name="activeOutputs">Per output column, whether it is requested.</param>
    /// <param name="disposer">Releases per-cursor resources when the cursor is disposed (or null).</param>
    /// <param name="rowFilter">Returns false for a row to skip (or null: keep every row).</param>
    /// <returns>One delegate per output column.</returns>
    public virtual Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer, out Func<bool>? rowFilter)
    {
        rowFilter = null;
        return CreateGetters(input, activeOutputs, out disposer);
    }
}
