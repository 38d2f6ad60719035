using Microsoft.ML;

namespace MLNetVideo.Persistence;

/// <summary>
/// A transformer whose settings and weights live inside an ML.NET model zip. The type also
/// registers itself with <see cref="PersistentTransformerAttribute"/> on its assembly, and its
/// <c>ICanSaveModel.Save</c> calls <c>Interop.ModelZip.Save</c>.
/// </summary>
/// <typeparam name="TSelf">The transformer type.</typeparam>
public interface IPersistentTransformer<TSelf> : ITransformer where TSelf : IPersistentTransformer<TSelf>
{
    /// <summary>Stable identifier written into the zip (never a type name, so classes can move).</summary>
    static abstract string ComponentId { get; }

    /// <summary>Version of this component's own entries; bump it when their layout changes.</summary>
    static abstract int ContentVersion { get; }

    /// <summary>Restores the transformer from the entries written at save time.</summary>
    /// <param name="reader">The zip entries of this transformer.</param>
    /// <returns>The restored transformer.</returns>
    static abstract TSelf LoadFrom(ModelEntryReader reader);
}

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
