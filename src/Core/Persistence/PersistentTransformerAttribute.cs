namespace MLNetVideo.Persistence;

/// <summary>Registers a persistent transformer type under its component id, so a zip can name it.</summary>
/// <param name="componentId">The id (the type's <see cref="IPersistentTransformer{TSelf}.ComponentId"/>).</param>
/// <param name="transformerType">The transformer type.</param>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
public sealed class PersistentTransformerAttribute(string componentId, Type transformerType) : Attribute
{
    /// <summary>The component id.</summary>
    public string ComponentId { get; } = componentId;

    /// <summary>The transformer type.</summary>
    public Type TransformerType { get; } = transformerType;
}
