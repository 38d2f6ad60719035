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
            // ML.NET's repository writer swallows some write errors while it closes the zip, so the first error of the
            // file stream is remembered and raised here, and the finished zip is read back before it replaces the target.
            var recording = new ErrorRecordingStream(wrapStream?.Invoke(stream) ?? stream);
            catalog.Save(model, inputSchema, recording);
            recording.Flush();
            recording.ThrowIfFailed();
            stream.Flush();
            stream.Position = 0;
            VerifyZip(stream, filePath);
        });
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
