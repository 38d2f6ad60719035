using Microsoft.ML.Data;

namespace MLNetVideo.Errors;

/// <summary>Schema errors worded exactly as ML.NET words its own, thrown as <see cref="ArgumentOutOfRangeException"/>.</summary>
internal static class SchemaErrors
{
    /// <summary>"Could not find {role} column '{name}'".</summary>
    /// <param name="role">For example "input" or "label".</param>
    /// <param name="name">The column name.</param>
    /// <returns>The exception to throw.</returns>
    public static ArgumentOutOfRangeException ColumnNotFound(string role, string name)
        => new("inputSchema", $"Could not find {role} column '{name}'");

    /// <summary>"Schema mismatch for {role} column '{name}': expected {expected}, got {actual}".</summary>
    /// <param name="role">For example "input" or "label".</param>
    /// <param name="name">The column name.</param>
    /// <param name="expected">What the component needs.</param>
    /// <param name="actual">What the schema has.</param>
    /// <returns>The exception to throw.</returns>
    public static ArgumentOutOfRangeException Mismatch(string role, string name, string expected, string actual)
        => new("inputSchema", $"Schema mismatch for {role} column '{name}': expected {expected}, got {actual}");

    /// <summary>A readable name for a column type, in ML.NET's style (Vector&lt;Single, 8, 3, 32, 32&gt;).</summary>
    /// <param name="type">The type.</param>
    /// <returns>Its display name.</returns>
    public static string Describe(DataViewType type) => type switch
    {
        VectorDataViewType v when v.Dimensions.Length > 0 && v.IsKnownSize => $"Vector<{Describe(v.ItemType)}, {string.Join(", ", v.Dimensions)}>",
        VectorDataViewType v => $"Vector<{Describe(v.ItemType)}>",
        KeyDataViewType k => $"Key<{k.RawType.Name}, 0-{k.Count - 1}>",
        _ => type.ToString() ?? type.GetType().Name,
    };
}
