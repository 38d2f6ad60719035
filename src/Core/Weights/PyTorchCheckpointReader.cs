using System.Buffers.Binary;
using System.IO.Compression;
using System.Text.RegularExpressions;

namespace MLNetVideo.Weights;

/// <summary>
/// A restricted reader for PyTorch <c>.pth</c>/<c>.pt</c> checkpoints in the zip format that <c>torch.save</c> writes since
/// PyTorch 1.6 (<c>&lt;archive&gt;/data.pkl</c>, <c>&lt;archive&gt;/data/&lt;key&gt;</c>, <c>byteorder</c>, <c>version</c>).
/// </summary>
/// <remarks>
/// <para>The pickle is run by a weights-only virtual machine that understands tensors, storages, dicts, ordered dicts, lists,
/// tuples and primitive values, and refuses everything else (any other Python global such as <c>os.system</c>, any other
/// opcode) with an <see cref="InvalidDataException"/> naming the file and the reason. No Python code is ever run, so a
/// malicious checkpoint cannot execute anything: the same promise as <c>torch.load(weights_only=True)</c>.</para>
/// <para>Every size is bounded by <see cref="WeightsReadLimits"/> and checked against the sizes the pickle declares before
/// memory is allocated; zip entries are read through a bounded stream, so an entry that expands beyond its declared size
/// (a "zip bomb") is refused after reading at most one byte too many, and every entry's CRC-32 is verified, so size fields
/// that understate the content and flipped bytes are refused too.</para>
/// <para>Also read, with the same virtual machine and limits: legacy checkpoints (<c>torch.save</c> before PyTorch 1.6,
/// a raw pickle stream with the storages appended; see <see cref="LegacyCheckpointReader"/>) and TorchScript archives
/// (<c>torch.jit.save</c>, for example OpenAI's CLIP files), whose module objects become inert
/// <see cref="TorchScriptObject"/> records; their <c>code/</c> entries are never read.</para>
/// </remarks>
public static partial class PyTorchCheckpointReader
{
    /// <summary>Reads a checkpoint.</summary>
    /// <param name="path">The <c>.pth</c> or <c>.pt</c> file.</param>
    /// <param name="limits">Bounds to enforce; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>The saved object graph with its tensors.</returns>
    /// <exception cref="InvalidDataException">The file is damaged, exceeds a limit, or holds anything but weights.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static PyTorchCheckpoint Read(string path, WeightsReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var checkedLimits = limits ?? WeightsReadLimits.Default;
        checkedLimits.Validate();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        return Read(stream, path, checkedLimits);
    }

    /// <summary>Reads the state dict of a checkpoint; see <see cref="PyTorchCheckpoint.GetStateDict"/> for how it is found.</summary>
    /// <param name="path">The <c>.pth</c> or <c>.pt</c> file.</param>
    /// <param name="entry">The key (or '/'-separated key path) of the state dict inside the checkpoint, or <see langword="null"/> to find it.</param>
    /// <param name="limits">Bounds to enforce; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>Tensors by state-dict key, in the order they were saved.</returns>
    /// <exception cref="InvalidDataException">The file is damaged, exceeds a limit, holds anything but weights, or has no such state dict.</exception>
    public static IReadOnlyDictionary<string, TensorData> ReadStateDict(string path, string? entry = null, WeightsReadLimits? limits = null)
        => Read(path, limits).GetStateDict(entry);

    /// <summary>Reads a checkpoint from a seekable stream.</summary>
    /// <param name="stream">A readable, seekable stream holding the whole file; it is left open.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <param name="limits">Bounds to enforce; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>The saved object graph with its tensors.</returns>
    /// <exception cref="InvalidDataException">The data is damaged, exceeds a limit, or holds anything but weights.</exception>
    public static PyTorchCheckpoint Read(Stream stream, string sourceName, WeightsReadLimits? limits = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("The checkpoint stream must be readable and seekable.", nameof(stream));
        var checkedLimits = limits ?? WeightsReadLimits.Default;
        checkedLimits.Validate();

        if (CheckMagic(stream, sourceName))
            return LegacyCheckpointReader.Read(stream, sourceName, checkedLimits);
        ZipArchive archive;
        try
        {
            archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (Exception e) when (IsZipFailure(e))
        {
            throw Invalid(sourceName, $"its zip structure is damaged or truncated ({e.Message})", e);
        }
        using (archive)
        {
            IReadOnlyCollection<ZipArchiveEntry> entries;
            try
            {
                entries = archive.Entries;
            }
            catch (Exception e) when (IsZipFailure(e))
            {
                throw Invalid(sourceName, $"its zip directory is damaged or truncated ({e.Message})", e);
            }
            if (entries.Count > checkedLimits.MaxZipEntries)
                throw Invalid(sourceName, $"its archive has {entries.Count} entries, more than WeightsReadLimits.MaxZipEntries ({checkedLimits.MaxZipEntries})");

            var pickles = entries.Where(e => PickleEntry().IsMatch(e.FullName)).ToList();
            if (pickles.Count != 1)
                throw Invalid(sourceName, pickles.Count == 0
                    ? "its archive has no '<name>/data.pkl' entry, so it was not written by torch.save"
                    : $"its archive has {pickles.Count} '<name>/data.pkl' entries ({string.Join(", ", pickles.Take(3).Select(p => p.FullName))})");
            string prefix = pickles[0].FullName[..^"data.pkl".Length];
            var byName = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var entry in entries)
            {
                // Readers disagree on which of two same-named entries wins, so a duplicate could show us other data than PyTorch sees.
                if (!byName.TryAdd(entry.FullName, entry))
                    throw Invalid(sourceName, $"its archive lists the entry '{Shorten(entry.FullName)}' twice");
            }

            bool bigEndian = ReadByteOrder(byName, prefix, sourceName);
            byte[] pickle = ReadEntry(pickles[0], checkedLimits.MaxPickleBytes, exact: false, sourceName);

            var storages = new Dictionary<string, TensorData>(StringComparer.Ordinal);
            long totalBytes = 0;
            TensorData LoadStorage(RestrictedUnpickler.StorageRequest request)
            {
                if (!StorageKey().IsMatch(request.Key))
                    throw Invalid(sourceName, $"a storage key '{Shorten(request.Key)}' is not a plain name");
                if (storages.TryGetValue(request.Key, out var cached))
                {
                    if (cached.DType != request.DType || cached.ElementCount != request.ElementCount)
                        throw Invalid(sourceName, $"storage 'data/{request.Key}' is declared twice with different types or sizes");
                    return cached;
                }
                if (storages.Count >= checkedLimits.MaxTensorCount)
                    throw Invalid(sourceName, $"it references more than WeightsReadLimits.MaxTensorCount ({checkedLimits.MaxTensorCount}) storages");
                if (!TensorData.TryGetByteCount(request.DType, [request.ElementCount], out long bytes) || bytes > checkedLimits.MaxTensorBytes)
                    throw Invalid(sourceName,
                        $"storage 'data/{request.Key}' declares {request.ElementCount} {request.DType.SafeTensorsName()} elements, more than WeightsReadLimits.MaxTensorBytes ({checkedLimits.MaxTensorBytes} bytes)");
                totalBytes += bytes;
                if (totalBytes > checkedLimits.MaxTotalBytes)
                    throw Invalid(sourceName, $"its storages total more than WeightsReadLimits.MaxTotalBytes ({checkedLimits.MaxTotalBytes} bytes)");
                if (!byName.TryGetValue($"{prefix}data/{request.Key}", out var entry))
                    throw Invalid(sourceName, $"it refers to storage 'data/{request.Key}', which is not in the archive (truncated or tampered file)");
                var data = ReadEntry(entry, bytes, exact: true, sourceName);
                if (bigEndian) SwapBytes(data, request.DType.ItemSize());
                var storage = new TensorData(request.DType, [request.ElementCount], data);
                storages.Add(request.Key, storage);
                return storage;
            }

            var root = new RestrictedUnpickler(pickle, sourceName, checkedLimits, LoadStorage).Load();
            return new PyTorchCheckpoint(sourceName, prefix.TrimEnd('/'), root);
        }
    }

    /// <summary>True for a legacy pickle stream, false for a zip archive; throws for anything else.</summary>
    private static bool CheckMagic(Stream stream, string source)
    {
        Span<byte> magic = stackalloc byte[4];
        stream.Seek(0, SeekOrigin.Begin);
        int read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        stream.Seek(0, SeekOrigin.Begin);
        if (read == 4 && BinaryPrimitives.ReadUInt32LittleEndian(magic) == 0x04034b50)
            return false;
        if (read >= 1 && magic[0] == 0x80)
            return true;
        throw Invalid(source, read < 4 ? $"it is only {read} bytes long (truncated)" : "it is not a zip archive, so it was not written by torch.save");
    }

    private static bool ReadByteOrder(Dictionary<string, ZipArchiveEntry> byName, string prefix, string source)
    {
        if (!byName.TryGetValue(prefix + "byteorder", out var entry))
            return false;   // files from before the field was added are little-endian
        var text = System.Text.Encoding.ASCII.GetString(ReadEntry(entry, 16, exact: false, source)).Trim();
        return text switch
        {
            "little" => false,
            "big" => true,
            _ => throw Invalid(source, $"its byteorder entry says '{Shorten(text)}' instead of 'little' or 'big'"),
        };
    }

    /// <summary>Reads a zip entry through a bounded stream: the declared size must be within <paramref name="limit"/> (or equal
    /// it when <paramref name="exact"/>), and never more than the declared size + 1 bytes are decompressed, whatever the data holds.</summary>
    private static byte[] ReadEntry(ZipArchiveEntry entry, long limit, bool exact, string source)
    {
        if (exact && entry.Length != limit)
            throw Invalid(source, $"entry '{entry.FullName}' declares {entry.Length} bytes but the checkpoint needs exactly {limit}");
        if (entry.Length > limit)
            throw Invalid(source, $"entry '{entry.FullName}' declares {entry.Length} bytes, more than the limit of {limit}");
        var buffer = new byte[entry.Length];   // declared size, already checked against the limit
        int total = 0;
        bool expandsFurther;
        try
        {
            using var input = entry.Open();
            while (total < buffer.Length)
            {
                int n = input.Read(buffer, total, buffer.Length - total);
                if (n == 0) break;
                total += n;
            }
            Span<byte> probe = stackalloc byte[1];
            expandsFurther = input.Read(probe) != 0;
        }
        catch (Exception e) when (IsZipFailure(e))
        {
            throw Invalid(source, $"entry '{entry.FullName}' cannot be decompressed ({e.Message})", e);
        }
        if (expandsFurther)
            throw Invalid(source, $"entry '{entry.FullName}' expands beyond the {entry.Length} bytes it declares (a zip bomb or a corrupt archive)");
        if (total != entry.Length)
            throw Invalid(source, $"entry '{entry.FullName}' holds {total} bytes but declares {entry.Length} (truncated or corrupt archive)");
        // The decompressor stops at the declared size, so an entry whose size fields understate its content would be cut
        // silently; the checksum covers the real content and exposes both that and flipped bytes.
        if (Crc32.Compute(buffer) != entry.Crc32)
            throw Invalid(source, $"entry '{entry.FullName}' fails its CRC-32 check (damaged or tampered data, or size fields that lie)");
        return buffer;
    }

    /// <summary>What System.IO.Compression throws for damaged archives: InvalidDataException mostly, but also
    /// EndOfStreamException/IOException for cut data, NotSupportedException for encryption or unknown methods, and
    /// ArgumentException for impossible offsets.</summary>
    private static bool IsZipFailure(Exception e)
        => e is InvalidDataException or IOException or NotSupportedException or ArgumentException;

    private static void SwapBytes(byte[] data, int itemSize)
    {
        if (itemSize == 1) return;
        for (int i = 0; i + itemSize <= data.Length; i += itemSize)
            data.AsSpan(i, itemSize).Reverse();
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    internal static InvalidDataException Invalid(string source, string reason, Exception? inner = null)
        => new($"PyTorch checkpoint '{source}' was refused: {reason}.", inner);

    [GeneratedRegex(@"^[^/]+/data\.pkl$", RegexOptions.CultureInvariant)]
    private static partial Regex PickleEntry();

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex StorageKey();
}
