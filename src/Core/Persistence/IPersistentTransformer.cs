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
