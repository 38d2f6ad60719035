using Microsoft.ML;
using MLNetVideo.Persistence;

namespace MLNetVideo;

/// <summary>
/// Saving a model zip so that a crash, a full disk or a read-only folder never leaves a damaged zip behind.
/// </summary>
/// <remarks>
/// ML.NET's own <c>mlContext.Model.Save(model, schema, filePath)</c> is <b>not</b> atomic: it truncates the target and
/// writes into it, so a failure in the middle (an exception while a transformer saves, a full disk, the process being
/// killed) leaves a partial zip in place of the previous one. <see cref="SaveAtomically"/> writes the same zip to a
/// temporary file in the same folder and renames it over the target only once it is complete and flushed.
/// </remarks>
public static class ModelPersistenceCatalog
{
    /// <summary>
    /// Saves <paramref name="model"/> and its input schema to <paramref name="filePath"/> atomically: either the new
    /// zip is complete at that path, or the previous file (if any) is unchanged and no temporary file is left.
    /// The zip is the one <c>mlContext.Model.Save</c> writes, so <c>mlContext.Model.Load</c> reads it.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="inputSchema">The schema of the data the model was trained on (or null).</param>
    /// <param name="filePath">The zip to create or replace; its folder must exist.</param>
    /// <exception cref="IOException">The zip could not be written; the message names the file and says the previous one is unchanged.</exception>
    /// <example><code language="csharp">
    /// mlContext.Model.SaveAtomically(model, trainData.Schema, "model.zip");
    /// </code></example>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath)
        => SaveAtomicallyCore(catalog, model, inputSchema, filePath, wrapStream: null);

    /// <summary>The same, with a hook that wraps the output stream (tests inject failures through it).</summary>
    internal static void SaveAtomicallyCore(ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath,
        Func<Stream, Stream>? wrapStream)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(filePath, stream =>
        {
            var target = wrapStream?.Invoke(stream) ?? stream;
            catalog.Save(model, inputSchema, target);
            target.Flush();
        });
    }
}
