using System.IO.Compression;
using System.Security.Cryptography;

namespace MLNetVideo.Persistence;

/// <summary>
/// One bounded pass over every entry of a model zip before ML.NET reads any of it: each entry is decompressed as a stream
/// (never materialised) and hashed, so a zip bomb, a symbolic-link entry, a duplicated or escaping name, or an entry whose
/// content does not match its headers is refused with a message that names it, and memory stays bounded.
/// </summary>
internal static class ModelZipScan
{
    /// <summary>Most entries a model zip may have.</summary>
    public const int MaxEntries = 100_000;

    /// <summary>One entry as scanned.</summary>
    public sealed record Entry(string Name, long Length, byte[] Sha256);

    /// <summary>Reads every entry once within the bounds of <paramref name="options"/>.</summary>
    /// <param name="archive">The zip, opened for reading.</param>
    /// <param name="options">Bounds (MaxEntryBytes, MaxTotalBytes).</param>
    /// <param name="source">The zip's name for messages.</param>
    /// <returns>The entries, ordered by name.</returns>
    /// <exception cref="InvalidDataException">An entry breaks a rule; the message names it.</exception>
    public static IReadOnlyList<Entry> Scan(ZipArchive archive, VideoModelLoadOptions options, string source)
    {
        var entries = archive.Entries;
        if (entries.Count > MaxEntries)
            throw Refused(source, $"it has {entries.Count} entries, more than {MaxEntries}");
        var result = new List<Entry>(entries.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        long total = 0;
        var buffer = new byte[1 << 16];
        foreach (var entry in entries)
        {
            string name = entry.FullName;
            CheckName(name, source);
            // ML.NET finds entries under either separator: two spellings of one name would let the zip show one and load the other.
            if (!names.Add(name.Replace('\\', '/')))
                throw Refused(source, $"it holds two entries named '{name}'");
            if (IsSymbolicLink(entry))
                throw Refused(source, $"its entry '{name}' is a symbolic link; a model zip holds only files");
            if (entry.Length > options.MaxEntryBytes)
                throw Refused(source, $"its entry '{name}' declares {entry.Length} bytes, more than VideoModelLoadOptions.MaxEntryBytes ({options.MaxEntryBytes})");
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long length = 0;
            try
            {
                using var content = entry.Open();
                int read;
                while ((read = content.Read(buffer, 0, buffer.Length)) > 0)
                {
                    length += read;
                    if (length > options.MaxEntryBytes)
                        throw Refused(source, $"its entry '{name}' decompresses to more than VideoModelLoadOptions.MaxEntryBytes ({options.MaxEntryBytes} bytes)");
                    if (total + length > options.MaxTotalBytes)
                        throw Refused(source, $"its entries decompress to more than VideoModelLoadOptions.MaxTotalBytes ({options.MaxTotalBytes} bytes)");
                    hash.AppendData(buffer, 0, read);
                }
            }
            catch (Exception e) when ((e is InvalidDataException or IOException) && !IsOurs(e))
            {
                throw Refused(source, $"its entry '{name}' cannot be decompressed ({e.Message.TrimEnd('.')})", e);
            }
            if (length != entry.Length)
                throw Refused(source, $"its entry '{name}' holds {length} bytes but its headers say {entry.Length}");
            total += length;
            result.Add(new Entry(name, length, hash.GetHashAndReset()));
        }
        result.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return result;
    }

    private static bool IsOurs(Exception e) => e.Data.Contains(typeof(ModelZipScan));

    /// <summary>An <see cref="InvalidDataException"/> saying why the zip is refused.</summary>
    internal static InvalidDataException Refused(string source, string why, Exception? inner = null)
    {
        var e = new InvalidDataException($"The model zip '{source}' is refused: {why}.", inner);
        e.Data[typeof(ModelZipScan)] = true;
        return e;
    }

    /// <summary>Entry names are relative, use no '..' segment, no drive or NUL: ML.NET never extracts a zip by its names, but a
    /// model never needs such a name either, so one is a sign of tampering.</summary>
    private static void CheckName(string name, string source)
    {
        var parts = name.Split('/', '\\');
        if (name.Length == 0 || name.Length > 1024 || name[0] is '/' or '\\' || name.Contains(':') || name.Any(char.IsControl)
            || parts.Any(p => p == ".."))
            throw Refused(source, $"its entry '{name.ReplaceLineEndings("\\n")}' has a name a model zip never uses (absolute, '..', a drive, a control character or over 1,024 characters)");
    }

    /// <summary>Whether the entry was stored as a Unix symbolic link (file type bits of the external attributes).</summary>
    internal static bool IsSymbolicLink(ZipArchiveEntry entry) => ((entry.ExternalAttributes >> 16) & 0xF000) == 0xA000;
}
