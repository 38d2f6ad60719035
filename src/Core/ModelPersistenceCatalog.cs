using Microsoft.ML;
using MLNetVideo.Persistence;

namespace MLNetVideo;

/// <summary>
/// Saving a model zip so that a crash, a full disk or a read-only folder never leaves a damaged zip behind (optionally
/// signed), and loading one under the application's rules (<see cref="VideoModelLoadOptions"/>) with every refusal
/// reported as its real exception.
/// </summary>
/// <remarks>
/// ML.NET's own <c>mlContext.Model.Save(model, schema, filePath)</c> is <b>not</b> atomic: it truncates the target and
/// writes into it, so a failure in the middle (an exception while a transformer saves, a full disk, the process being
/// killed) leaves a partial zip in place of the previous one. <see cref="SaveAtomically(ModelOperationsCatalog, ITransformer, DataViewSchema?, string)"/> writes the same zip to a
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

    /// <summary>
    /// Saves <paramref name="model"/> atomically, as <see cref="SaveAtomically(ModelOperationsCatalog, ITransformer, DataViewSchema?, string)"/>,
    /// and signs the zip with <paramref name="signingKey"/> (see <see cref="ModelSigning"/>): a load whose
    /// <see cref="VideoModelLoadOptions.TrustedSigningKeys"/> holds the matching public key accepts it, and refuses it once any
    /// entry is changed.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="model">The trained model.</param>
    /// <param name="inputSchema">The schema of the data the model was trained on (or null).</param>
    /// <param name="filePath">The zip to create or replace; its folder must exist.</param>
    /// <param name="signingKey">The ECDSA private key.</param>
    /// <exception cref="IOException">The zip could not be written; the message names the file and says the previous one is unchanged.</exception>
    public static void SaveAtomically(this ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath,
        System.Security.Cryptography.ECDsa signingKey)
    {
        ArgumentNullException.ThrowIfNull(signingKey);
        SaveAtomicallyCore(catalog, model, inputSchema, filePath, wrapStream: null, signingKey);
    }

    /// <summary>The same, with a hook that wraps the output stream (tests inject failures through it).</summary>
    internal static void SaveAtomicallyCore(ModelOperationsCatalog catalog, ITransformer model, DataViewSchema? inputSchema, string filePath,
        Func<Stream, Stream>? wrapStream, System.Security.Cryptography.ECDsa? signingKey = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(model);
        AtomicFile.Write(filePath, stream =>
        {
            // ML.NET's repository writer swallows some write errors while it closes the zip, so the first error of the
            // file stream is remembered and raised here, and the finished zip is read back before it replaces the target.
            var recording = new ErrorRecordingStream(wrapStream?.Invoke(stream) ?? stream);
            catalog.Save(model, inputSchema, recording);
            recording.Flush();
            recording.ThrowIfFailed();
            stream.Flush();
            stream.Position = 0;
            VerifyZip(stream, filePath);
            if (signingKey is not null)
            {
                stream.Position = 0;
                ModelSigning.AddSignature(stream, signingKey, filePath);
                stream.Position = 0;
                VerifyZip(stream, filePath);
            }
        });
    }

    /// <summary>
    /// Loads a model zip under <paramref name="options"/>: every entry is first read once within the size bounds (and the
    /// signature checked when trusted keys are given), then ML.NET loads the same bytes with every file location, cache and
    /// referenced file taken from <paramref name="options"/> (see <see cref="VideoModelLoadOptions"/>). A refusal is thrown as
    /// its real exception (<see cref="InvalidDataException"/>, <see cref="FileNotFoundException"/>, ...), never wrapped in
    /// the <c>TargetInvocationException</c> that plain <c>mlContext.Model.Load</c> reports.
    /// </summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="filePath">The model zip.</param>
    /// <param name="options">The application's load options; null means <see cref="VideoModelLoadOptions.Default"/>.</param>
    /// <param name="inputSchema">The schema the model was saved with.</param>
    /// <returns>The model.</returns>
    /// <exception cref="FileNotFoundException">The zip (or a file it refers to) does not exist.</exception>
    /// <exception cref="InvalidDataException">The zip is refused; the message says which entry or setting and why.</exception>
    /// <example><code language="csharp">
    /// var model = mlContext.Model.Load("model.zip", new VideoModelLoadOptions { VideoFolder = "videos" }, out var schema);
    /// </code></example>
    public static ITransformer Load(this ModelOperationsCatalog catalog, string filePath, VideoModelLoadOptions? options, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(filePath);
        string full = Path.GetFullPath(filePath);
        using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
        return LoadChecked(catalog, stream, full, options ?? VideoModelLoadOptions.Default, out inputSchema);
    }

    /// <summary>Loads a model zip from a seekable stream under <paramref name="options"/> (see the file overload).</summary>
    /// <param name="catalog">The model operations catalog (<c>mlContext.Model</c>).</param>
    /// <param name="stream">The zip, readable and seekable; read from its start, left open.</param>
    /// <param name="options">The application's load options; null means <see cref="VideoModelLoadOptions.Default"/>.</param>
    /// <param name="inputSchema">The schema the model was saved with.</param>
    /// <returns>The model.</returns>
    /// <exception cref="InvalidDataException">The zip is refused; the message says which entry or setting and why.</exception>
    public static ITransformer Load(this ModelOperationsCatalog catalog, Stream stream, VideoModelLoadOptions? options, out DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("The stream must be readable and seekable (the zip is checked before it is loaded).", nameof(stream));
        stream.Position = 0;
        return LoadChecked(catalog, stream, "(stream)", options ?? VideoModelLoadOptions.Default, out inputSchema);
    }

    private static ITransformer LoadChecked(ModelOperationsCatalog catalog, Stream stream, string source, VideoModelLoadOptions options,
        out DataViewSchema inputSchema)
    {
        options.Validate();
        using (var archive = ModelSigning.OpenArchive(stream, source))
        {
            var entries = ModelZipScan.Scan(archive, options, source);
            if (options.RequiresSignature)
                ModelSigning.Verify(archive, entries, options.TrustedSigningKeys, source);
        }
        stream.Position = 0;
        using var scope = (VideoModelLoadOptions.LoadScope)VideoModelLoadOptions.Bind(options);
        scope.ZipChecked = true;
        try
        {
            return catalog.Load(stream, out inputSchema);
        }
        catch (Exception e) when (LoadErrors.Unwrap(e) is { } cause && !ReferenceEquals(cause, e))
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cause).Throw();
            throw;
        }
    }

    /// <summary>Reads every entry of the written zip to its end (deflate streams and the central directory are checked).</summary>
    private static void VerifyZip(Stream stream, string filePath)
    {
        try
        {
            using var zip = new System.IO.Compression.ZipArchive(stream, System.IO.Compression.ZipArchiveMode.Read, leaveOpen: true);
            if (zip.Entries.Count == 0)
                throw new InvalidDataException("the zip has no entries");
            var buffer = new byte[81920];
            foreach (var entry in zip.Entries)
            {
                using var content = entry.Open();
                long total = 0;
                int read;
                while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
                    total += read;
                if (total != entry.Length)
                    throw new InvalidDataException($"entry '{entry.FullName}' holds {total} of its {entry.Length} bytes");
            }
        }
        catch (InvalidDataException e)
        {
            throw new IOException($"the zip written for '{filePath}' does not read back ({e.Message})", e);
        }
    }

    /// <summary>Passes writes through and remembers the first exception the inner stream threw.</summary>
    private sealed class ErrorRecordingStream(Stream inner) : Stream
    {
        private Exception? _error;

        public void ThrowIfFailed()
        {
            if (_error is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(_error).Throw();
        }

        private T Guard<T>(Func<T> action)
        {
            try
            {
                return action();
            }
            catch (Exception e)
            {
                _error ??= e;
                throw;
            }
        }

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => Guard(() => inner.Position = value); }
        public override void Flush() => Guard(() => { inner.Flush(); return 0; });
        public override int Read(byte[] buffer, int offset, int count) => Guard(() => inner.Read(buffer, offset, count));
        public override long Seek(long offset, SeekOrigin origin) => Guard(() => inner.Seek(offset, origin));
        public override void SetLength(long value) => Guard(() => { inner.SetLength(value); return 0; });
        public override void Write(byte[] buffer, int offset, int count) => Guard(() => { inner.Write(buffer, offset, count); return 0; });
    }
}
