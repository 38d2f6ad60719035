using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace MLNetVideo.Weights;

/// <summary>
/// Reads checkpoints written by <c>torch.save</c> before PyTorch 1.6 (and with <c>_use_new_zipfile_serialization=False</c>
/// since): five pickles in a row — the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a dict of system
/// facts (byte order), the object itself with storages as persistent ids, and the sorted list of storage keys — followed
/// by each storage as a 64-bit element count and its raw bytes, in the order of that list.
/// </summary>
/// <remarks>Every pickle runs on <see cref="RestrictedUnpickler"/> with the caller's <see cref="WeightsReadLimits"/>, so the
/// promise is the one of the zip reader: nothing is executed, sizes are checked before memory is allocated. The object
/// pickle comes before the data it refers to, so it is run twice: once to learn the storages (whose buffers are allocated
/// and then filled from the file), once more to build the tensors from the filled buffers.</remarks>
internal static partial class LegacyCheckpointReader
{
    private const long ProtocolVersion = 1001;

    /// <summary>The magic-number pickle as <c>pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)</c> writes it.</summary>
    private static readonly byte[] MagicPickle = [0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e];

    public static PyTorchCheckpoint Read(Stream stream, string source, WeightsReadLimits limits)
    {
        long length = stream.Length;
        var head = new byte[(int)Math.Min(length, limits.MaxPickleBytes)];
        stream.Seek(0, SeekOrigin.Begin);
        stream.ReadExactly(head);
        if (head.Length < MagicPickle.Length || !head.AsSpan(0, MagicPickle.Length).SequenceEqual(MagicPickle))
            throw PyTorchCheckpointReader.Invalid(source,
                "it starts like a pickle but not with the magic number of a legacy torch.save checkpoint (a plain pickle is never loaded)");

        static TensorData NoStorage(RestrictedUnpickler.StorageRequest request)
            => throw new InvalidDataException($"storage '{request.Key}' appears outside the object pickle");
        var version = new RestrictedUnpickler(head, source, limits, NoStorage, MagicPickle.Length);
        if (version.Load() is not ProtocolVersion)
            throw PyTorchCheckpointReader.Invalid(source, $"its legacy protocol version is not {ProtocolVersion}");
        var sysInfo = new RestrictedUnpickler(head, source, limits, NoStorage, version.End);
        bool bigEndian = sysInfo.Load() is CheckpointDictionary info && info.TryGetValue("little_endian", out var little) && little is false;
        int objectStart = sysInfo.End;

        // First run: learn every storage (type, size) and allocate its buffer.
        var buffers = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        long totalBytes = 0;
        TensorData Allocate(RestrictedUnpickler.StorageRequest request)
        {
            if (!StorageKey().IsMatch(request.Key))
                throw PyTorchCheckpointReader.Invalid(source, $"a storage key '{Shorten(request.Key)}' is not a plain name");
            if (buffers.TryGetValue(request.Key, out var known))
            {
                if (known.DType != request.DType || known.ElementCount != request.ElementCount)
                    throw PyTorchCheckpointReader.Invalid(source, $"storage '{request.Key}' is declared twice with different types or sizes");
                return known;
            }
            if (buffers.Count >= limits.MaxTensorCount)
                throw PyTorchCheckpointReader.Invalid(source, $"it references more than WeightsReadLimits.MaxTensorCount ({limits.MaxTensorCount}) storages");
            if (!TensorData.TryGetByteCount(request.DType, [request.ElementCount], out long bytes) || bytes > limits.MaxTensorBytes)
                throw PyTorchCheckpointReader.Invalid(source,
                    $"storage '{request.Key}' declares {request.ElementCount} {request.DType.SafeTensorsName()} elements, more than WeightsReadLimits.MaxTensorBytes ({limits.MaxTensorBytes} bytes)");
            totalBytes += bytes;
            if (totalBytes > limits.MaxTotalBytes)
                throw PyTorchCheckpointReader.Invalid(source, $"its storages total more than WeightsReadLimits.MaxTotalBytes ({limits.MaxTotalBytes} bytes)");
            if (bytes > length)
                throw PyTorchCheckpointReader.Invalid(source, $"storage '{request.Key}' declares {bytes} bytes, more than the whole file holds (truncated or tampered)");
            var storage = new TensorData(request.DType, [request.ElementCount], new byte[bytes]);
            buffers.Add(request.Key, storage);
            return storage;
        }
        var scan = new RestrictedUnpickler(head, source, limits, Allocate, objectStart);
        scan.Load();
        var keysPickle = new RestrictedUnpickler(head, source, limits, NoStorage, scan.End);
        if (keysPickle.Load() is not List<object?> keys || keys.Any(k => k is not string))
            throw PyTorchCheckpointReader.Invalid(source, "the storage key list after the object is not a list of strings");
        if (keys.Count != buffers.Count || keys.Any(k => !buffers.ContainsKey((string)k!)))
            throw PyTorchCheckpointReader.Invalid(source,
                $"its storage key list ({keys.Count} keys) does not match the {buffers.Count} storages the object refers to");

        // The data: per key, the element count (64-bit, file byte order) and the raw elements.
        stream.Seek(keysPickle.End, SeekOrigin.Begin);
        Span<byte> countBytes = stackalloc byte[8];
        foreach (string key in keys.Cast<string>())
        {
            var storage = buffers[key];
            if (stream.ReadAtLeast(countBytes, 8, throwOnEndOfStream: false) != 8)
                throw PyTorchCheckpointReader.Invalid(source, $"it ends before the data of storage '{key}' (truncated)");
            long count = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(countBytes) : BinaryPrimitives.ReadInt64LittleEndian(countBytes);
            if (count != storage.ElementCount)
                throw PyTorchCheckpointReader.Invalid(source, $"storage '{key}' holds {count} elements in the data but {storage.ElementCount} in the pickle");
            // The buffer was allocated above and is owned here until the second run wraps it again.
            var target = System.Runtime.InteropServices.MemoryMarshal.AsMemory(storage.Bytes).Span;
            if (stream.ReadAtLeast(target, target.Length, throwOnEndOfStream: false) != target.Length)
                throw PyTorchCheckpointReader.Invalid(source, $"it ends inside the data of storage '{key}' (truncated)");
            if (bigEndian) SwapBytes(target, storage.DType.ItemSize());
        }

        // Second run: the same pickle, now over the filled buffers.
        var root = new RestrictedUnpickler(head, source, limits, request => Allocate(request), objectStart).Load();
        return new PyTorchCheckpoint(source, "", root);
    }

    private static void SwapBytes(Span<byte> data, int itemSize)
    {
        if (itemSize == 1) return;
        for (int i = 0; i + itemSize <= data.Length; i += itemSize)
            data.Slice(i, itemSize).Reverse();
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    [GeneratedRegex(@"^[A-Za-z0-9_.\-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex StorageKey();
}
