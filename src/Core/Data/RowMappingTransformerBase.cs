using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Data;

/// <summary>Base of MLNetVideo's lazy row-to-row transformers: rows are computed when a cursor reads them,
/// and the transformer works inside <c>PredictionEngine</c>.</summary>
public abstract class RowMappingTransformerBase : ITransformer
{
    /// <summary>Validates <paramref name="inputSchema"/> and describes the mapping over it.</summary>
    /// <param name="inputSchema">The input schema.</param>
    /// <returns>The mapping.</returns>
    protected abstract ColumnMapping CreateMapping(DataViewSchema inputSchema);

    /// <summary>Describes the mapping over a whole data view (what <see cref="Transform(IDataView)"/> uses). Override it to
    /// let cursors read ahead in <paramref name="input"/> (for example to batch several rows per forward pass); the
    /// default is <see cref="CreateMapping(DataViewSchema)"/> over its schema.</summary>
    /// <param name="input">The data view being transformed.</param>
    /// <returns>The mapping.</returns>
    protected virtual ColumnMapping CreateMapping(IDataView input) => CreateMapping(input.Schema);

    /// <inheritdoc />
    public bool IsRowToRowMapper => true;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return MappedSchema.Build(inputSchema, CreateMapping(inputSchema));
    }

    /// <inheritdoc />
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new MappedRowToRowMapper(CreateMapping(inputSchema));
    }

    /// <inheritdoc />
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new MappedDataView(input, CreateMapping(input));
    }

    /// <summary>Writes the transformer into a model zip (implemented with <see cref="Interop.ModelZip"/>).</summary>
    /// <param name="context">ML.NET's save context.</param>
    protected abstract void SaveModel(ModelSaveContext context);

    void ICanSaveModel.Save(ModelSaveContext context) => SaveModel(context);
}
