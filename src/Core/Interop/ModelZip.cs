using Microsoft.ML;
using MLNetVideo.Persistence;

namespace MLNetVideo.Interop;

/// <summary>
/// Saves MLNetVideo transformers inside an ML.NET model zip, so <c>mlContext.Model.Save</c> and
/// <c>mlContext.Model.Load</c> round-trip them with no extra call. Call <see cref="Save{T}"/> from the
/// transformer's <c>ICanSaveModel.Save</c>.
/// </summary>
/// <remarks>
/// Layout in the zip, under the transformer's folder (for example <c>TransformerChain/Transform_001/</c>):
/// <c>Model.key</c> holds a header (magic, <see cref="FormatVersion"/>, component id, its assembly, its content
/// version) and a manifest with the length and SHA-256 of every entry; the entries themselves are files beside it.
/// </remarks>
public static class ModelZip
{
    /// <summary>The version of this layout. A zip with a newer version is refused with a message that says so.</summary>
    public const int FormatVersion = 1;

    /// <summary>Saves a transformer: header, the entries written by <paramref name="writeEntries"/>, manifest.</summary>
    /// <typeparam name="T">The transformer type.</typeparam>
    /// <param name="context">The context ML.NET passed to <c>ICanSaveModel.Save</c>.</param>
    /// <param name="transformer">The transformer (used for its type only).</param>
    /// <param name="writeEntries">Writes the transformer's settings and weights.</param>
    public static void Save<T>(ModelSaveContext context, T transformer, Action<ModelEntryWriter> writeEntries)
        where T : IPersistentTransformer<T>
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(writeEntries);
        ModelZipBridge.Save(context, T.ComponentId, T.ContentVersion, typeof(T).Assembly.GetName().Name!, writeEntries);
    }

    /// <summary>Saves a transformer whose component id and content version are instance data (one transformer type serving
    /// several families); <paramref name="componentType"/> names the assembly that registers the id.</summary>
    /// <param name="context">The context ML.NET passed to <c>ICanSaveModel.Save</c>.</param>
    /// <param name="componentId">The component id.</param>
    /// <param name="contentVersion">The component's content version.</param>
    /// <param name="componentType">The registered transformer type.</param>
    /// <param name="writeEntries">Writes the transformer's settings and weights.</param>
    internal static void Save(ModelSaveContext context, string componentId, int contentVersion, Type componentType, Action<ModelEntryWriter> writeEntries)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(componentType);
        ArgumentNullException.ThrowIfNull(writeEntries);
        ModelZipBridge.Save(context, componentId, contentVersion, componentType.Assembly.GetName().Name!, writeEntries);
    }
}
