namespace MLNetVideo.Persistence;

/// <summary>
/// Replaces a file all at once: the content is written to a temporary file in the same folder, flushed to disk, and
/// renamed over the target (an atomic rename on one file system). A failure at any point (an exception from the
/// writer, a full disk, a read-only folder) deletes the temporary file and leaves the previous file untouched; a
/// process killed mid-write leaves the previous file untouched and, at worst, one <c>.*.tmp</c> file beside it.
/// </summary>
/// <remarks>The new file gets the default permissions of a new file (the process's umask), not those of the file it
/// replaces. The rename is made durable by the file system's own ordering; the folder itself is not fsynced.</remarks>
public static class AtomicFile
{
    /// <summary>Suffix of the temporary files this class writes (they are named <c>.&lt;name&gt;.&lt;random&gt;.tmp</c>).</summary>
    public const string TemporarySuffix = ".tmp";

    /// <summary>Writes <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to create or replace. Its folder must exist.</param>
    /// <param name="write">Writes the whole content into the stream it is given (readable and seekable, so the writer may
    /// check what it wrote; do not dispose it).</param>
    /// <exception cref="IOException">The file could not be written or moved into place; the message names it, and the
    /// previous file is unchanged.</exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(write);
        string full = Path.GetFullPath(path);
        string folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' names no file.", nameof(path));
        string name = Path.GetFileName(full);
        if (name.Length == 0)
            throw new ArgumentException($"'{path}' names a folder, not a file.", nameof(path));
        if (!Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Could not save '{full}': the folder '{folder}' does not exist.");
        string temporary = Path.Combine(folder, $".{name}.{Guid.NewGuid().ToString("N")[..12]}{TemporarySuffix}");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (Exception e)
        {
            TryDelete(temporary);
            if (e is IOException or UnauthorizedAccessException)
                throw new IOException(
                    $"Could not save '{full}' ({e.Message.TrimEnd('.')}). Nothing was replaced: the previous file, if any, is unchanged.", e);
            throw;
        }
    }

    private static void TryDelete(string file)
    {
        try
        {
            File.Delete(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Could not even delete it (the folder became read-only): the name marks it as ours to clean up.
        }
    }
}
