using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Interop;

/// <summary>
/// Builds <see cref="SchemaShape"/> columns for <c>GetOutputSchema</c> (the column constructor is
/// internal in ML.NET 5.0.1: dotnet/machinelearning#3243).
/// </summary>
internal static class SchemaShapes
{
    /// <summary>A column of the given type (scalar, known-size or variable vector, key).</summary>
    /// <param name="name">Column name.</param>
    /// <param name="type">Column type.</param>
    /// <param name="annotations">Annotation columns (for example SlotNames, KeyValues), or null.</param>
    /// <returns>The schema-shape column.</returns>
    public static SchemaShape.Column Column(string name, DataViewType type, SchemaShape? annotations = null)
    {
        var kind = type switch
        {
            VectorDataViewType { IsKnownSize: true } => SchemaShape.Column.VectorKind.Vector,
            VectorDataViewType => SchemaShape.Column.VectorKind.VariableVector,
            _ => SchemaShape.Column.VectorKind.Scalar,
        };
        var itemType = type is VectorDataViewType vector ? vector.ItemType : type;
        // ML.NET describes a key column by its raw integer type plus the isKey flag.
        if (itemType is KeyDataViewType key)
            return new SchemaShape.Column(name, kind, ColumnTypeExtensions.PrimitiveTypeFromType(key.RawType), true, annotations);
        return new SchemaShape.Column(name, kind, itemType, false, annotations);
    }

    /// <summary>A shape holding only the given annotation columns.</summary>
    /// <param name="columns">The annotation columns.</param>
    /// <returns>The shape.</returns>
    public static SchemaShape Annotations(params SchemaShape.Column[] columns) => new(columns);

    /// <summary>The input columns followed by <paramref name="added"/>; an added column hides an input column of the same name.</summary>
    /// <param name="input">The input shape.</param>
    /// <param name="added">New columns.</param>
    /// <returns>The output shape.</returns>
    public static SchemaShape Append(SchemaShape input, params SchemaShape.Column[] added)
    {
        var result = input.ToDictionary(c => c.Name);
        foreach (var column in added)
            result[column.Name] = column;
        return new SchemaShape(result.Values);
    }

    /// <summary>Whether the column is a vector of known size.</summary>
    /// <param name="column">The column.</param>
    /// <returns>True for a known-size vector.</returns>
    public static bool IsKnownSizeVector(SchemaShape.Column column) => column.Kind == SchemaShape.Column.VectorKind.Vector;

    /// <summary>A readable type name of a schema-shape column, for error messages.</summary>
    /// <param name="column">The column.</param>
    /// <returns>For example "Vector&lt;Single&gt;" or "Key&lt;UInt32&gt;".</returns>
    public static string Describe(SchemaShape.Column column) => column.Kind switch
    {
        SchemaShape.Column.VectorKind.Vector => $"Vector<{column.ItemType}>",
        SchemaShape.Column.VectorKind.VariableVector => $"VarVector<{column.ItemType}>",
        _ => column.IsKey ? $"Key<{column.ItemType.RawType.Name}>" : column.ItemType.ToString() ?? "?",
    };
}
