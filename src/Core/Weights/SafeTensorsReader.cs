using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace MLNetVideo.Weights;

/// <summary>
/// A bounded, validating reader for the safetensors format (8-byte little-endian header length, JSON header, raw
/// little-endian tensor data). The whole header is checked when the file is opened; tensors are read on demand.
/// </summary>
/// <remarks>
/// <para>Checks made before anything is allocated: the header length is at most <see cref="WeightsReadLimits.MaxHeaderBytes"/>
/// and fits in the file; the header is UTF-8 JSON whose root is an object; names are unique; every dtype is known; every shape
/// has non-negative dimensions whose byte size fits in 64 bits and equals <c>end − begin</c>; the tensors tile the data area
/// exactly, without gaps or overlaps, as the reference implementation requires. <c>__metadata__</c> must map strings to
/// strings; its values are returned as text and never interpreted.</para>
/// <para>Every problem is reported as an <see cref="InvalidDataException"/> naming the file and the reason; a dtype the format
/// defines but MLNetVideo does not handle (U32, F8_E4M3, ...) is a <see cref="NotSupportedException"/>. An instance is not
/// thread-safe.</para>
/// </remarks>
public sealed class SafeTensorsReader : IDisposable
{
    private const string MetadataKey = "__metadata__";

    private static readonly HashSet<string> KnownUnsupportedDTypes = new(StringComparer.Ordinal)
    {
        "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "E8M0", "C64",
    };

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private readonly long _dataStart;
    private readonly WeightsReadLimits _limits;
    private readonly Dictionary<string, SafeTensorsEntry> _byName;
    private bool _disposed;

    private SafeTensorsReader(Stream stream, string sourceName, WeightsReadLimits limits, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        _limits = limits;
        SourceName = sourceName;
        (Entries, Metadata, _dataStart) = ReadHeader(stream, sourceName, limits);
        _byName = Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    /// <summary>The file path or the name given for the stream; used in error messages.</summary>
    public string SourceName { get; }

    /// <summary>The tensors described by the header, in the order of their data.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    /// <summary>The optional <c>__metadata__</c> map (empty when absent). Values are plain text.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens a safetensors file and validates its header.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Bounds to enforce; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>A reader that keeps the file open until disposed.</returns>
    /// <exception cref="InvalidDataException">The file is damaged, truncated or exceeds a limit.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SafeTensorsReader Open(string path, WeightsReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            return new SafeTensorsReader(stream, path, Checked(limits), leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Reads safetensors data from a seekable stream and validates its header.</summary>
    /// <param name="stream">A readable, seekable stream positioned anywhere; the file starts at position 0.</param>
    /// <param name="sourceName">A name for error messages, for example the entry name in a model zip.</param>
    /// <param name="limits">Bounds to enforce; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="stream"/> open.</param>
    /// <returns>The reader.</returns>
    /// <exception cref="InvalidDataException">The data is damaged, truncated or exceeds a limit.</exception>
    public static SafeTensorsReader Open(Stream stream, string sourceName, WeightsReadLimits? limits = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentException.ThrowIfNullOrWhiteSpace(sourceName);
        if (!stream.CanRead || !stream.CanSeek)
            throw new ArgumentException("The safetensors stream must be readable and seekable.", nameof(stream));
        return new SafeTensorsReader(stream, sourceName, Checked(limits), leaveOpen);
    }

    /// <summary>Reads every tensor of a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Bounds to enforce; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>Tensors by name, in the order of their data.</returns>
    /// <exception cref="InvalidDataException">The file is damaged, truncated or exceeds a limit.</exception>
    public static IReadOnlyDictionary<string, TensorData> ReadAll(string path, WeightsReadLimits? limits = null)
    {
        using var reader = Open(path, limits);
        return reader.ReadAll();
    }

    /// <summary>Whether the file holds a tensor of that name.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns><see langword="true"/> when the header lists it.</returns>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>Reads one tensor.</summary>
    /// <param name="name">The tensor name.</param>
    /// <returns>The tensor's data.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidDataException">The tensor exceeds <see cref="WeightsReadLimits.MaxTensorBytes"/>, or the file
    /// changed since it was opened.</exception>
    public TensorData Read(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(name);
        if (!_byName.TryGetValue(name, out var entry))
            throw new KeyNotFoundException($"Safetensors file '{SourceName}' has no tensor '{name}'.");
        return Read(entry);
    }

    /// <summary>Reads every tensor, after checking that their total size is within <see cref="WeightsReadLimits.MaxTotalBytes"/>.</summary>
    /// <returns>Tensors by name, in the order of their data.</returns>
    /// <exception cref="InvalidDataException">A size limit is exceeded, or the file changed since it was opened.</exception>
    public IReadOnlyDictionary<string, TensorData> ReadAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        long total = 0;
        foreach (var entry in Entries)
        {
            total += entry.ByteCount;   // entries tile a data area that fits in the stream, so this cannot overflow
            if (total > _limits.MaxTotalBytes)
                throw Invalid(SourceName,
                    $"its tensors total more than WeightsReadLimits.MaxTotalBytes ({_limits.MaxTotalBytes} bytes); raise the limit only for a file you trust");
        }
        var result = new Dictionary<string, TensorData>(Entries.Count, StringComparer.Ordinal);
        foreach (var entry in Entries)
            result.Add(entry.Name, Read(entry));
        return result;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_leaveOpen) _stream.Dispose();
    }

    private TensorData Read(SafeTensorsEntry entry)
    {
        if (entry.ByteCount > _limits.MaxTensorBytes)
            throw Invalid(SourceName,
                $"tensor '{entry.Name}' holds {entry.ByteCount} bytes, more than WeightsReadLimits.MaxTensorBytes ({_limits.MaxTensorBytes})");
        var buffer = new byte[entry.ByteCount];
        try
        {
            _stream.Seek(_dataStart + entry.Begin, SeekOrigin.Begin);
            _stream.ReadExactly(buffer);
        }
        catch (EndOfStreamException)
        {
            throw Invalid(SourceName, $"the data of tensor '{entry.Name}' ends early; the file was truncated after it was opened");
        }
        return new TensorData(entry.DType, entry.Shape, buffer);
    }

    private static WeightsReadLimits Checked(WeightsReadLimits? limits)
    {
        var result = limits ?? WeightsReadLimits.Default;
        result.Validate();
        return result;
    }

    private static (IReadOnlyList<SafeTensorsEntry>, IReadOnlyDictionary<string, string>, long) ReadHeader(
        Stream stream, string source, WeightsReadLimits limits)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Invalid(source, $"it is {fileLength} bytes long, shorter than the 8-byte header length field (truncated or not a safetensors file)");
        Span<byte> lengthField = stackalloc byte[8];
        stream.Seek(0, SeekOrigin.Begin);
        stream.ReadExactly(lengthField);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthField);
        if (headerLength > (ulong)limits.MaxHeaderBytes)
            throw Invalid(source,
                $"the header claims {headerLength} bytes, more than WeightsReadLimits.MaxHeaderBytes ({limits.MaxHeaderBytes}); the file is corrupt or not a safetensors file");
        if (headerLength > (ulong)(fileLength - 8))
            throw Invalid(source,
                $"the header claims {headerLength} bytes but only {fileLength - 8} follow the length field (truncated or corrupt file)");
        if (headerLength < 2)
            throw Invalid(source, $"the header is {headerLength} bytes long, too short for a JSON object");

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        if (header[0] != (byte)'{')
            throw Invalid(source, "the header does not start with '{' (corrupt or not a safetensors file)");
        if (!Utf8.IsValid(header))
            throw Invalid(source, "the header is not valid UTF-8");

        long dataLength = fileLength - 8 - (long)headerLength;
        var entries = new List<SafeTensorsEntry>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            using var document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Invalid(source, "the header's JSON root is not an object");
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw Invalid(source, $"the header lists '{property.Name}' twice");
                if (property.Name == MetadataKey)
                {
                    ReadMetadata(property.Value, metadata, source);
                    continue;
                }
                if (entries.Count >= limits.MaxTensorCount)
                    throw Invalid(source, $"it lists more than WeightsReadLimits.MaxTensorCount ({limits.MaxTensorCount}) tensors");
                entries.Add(ReadEntry(property.Name, property.Value, dataLength, source, limits));
            }
        }
        catch (JsonException e)
        {
            throw Invalid(source, $"the header is not valid JSON ({e.Message})", e);
        }
        catch (InvalidOperationException e)
        {
            throw Invalid(source, $"the header holds text that is not valid Unicode ({e.Message})", e);
        }

        CheckTiling(entries, dataLength, source);
        return (entries, metadata, 8 + (long)headerLength);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string source)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"'{MetadataKey}' is not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Invalid(source, $"'{MetadataKey}' value '{item.Name}' is not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw Invalid(source, $"'{MetadataKey}' lists '{item.Name}' twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(string name, JsonElement value, long dataLength, string source, WeightsReadLimits limits)
    {
        if (name.Length == 0)
            throw Invalid(source, "a tensor has an empty name");
        if (value.ValueKind != JsonValueKind.Object)
            throw Invalid(source, $"the header entry of '{name}' is not an object");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Invalid(source, $"tensor '{name}' has no string 'dtype'");
        string dtypeName = dtypeElement.GetString()!;
        if (!TensorDTypes.TryParseSafeTensorsName(dtypeName, out var dtype))
        {
            if (KnownUnsupportedDTypes.Contains(dtypeName))
                throw new NotSupportedException(
                    $"Safetensors file '{source}': tensor '{name}' has dtype {dtypeName}, which MLNetVideo does not handle (supported: {TensorDTypes.SupportedSafeTensorsNames}).");
            throw Invalid(source, $"tensor '{name}' has the unknown dtype '{Shorten(dtypeName)}' (supported: {TensorDTypes.SupportedSafeTensorsNames})");
        }

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Invalid(source, $"tensor '{name}' has no 'shape' array");
        int rank = shapeElement.GetArrayLength();
        if (rank > limits.MaxDimensions)
            throw Invalid(source, $"tensor '{name}' has {rank} dimensions, more than WeightsReadLimits.MaxDimensions ({limits.MaxDimensions})");
        var shape = new long[rank];
        int i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out shape[i]) || shape[i] < 0)
                throw Invalid(source, $"tensor '{name}' has a shape entry that is not a non-negative 64-bit integer: {Shorten(dim.GetRawText())}");
            i++;
        }

        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Invalid(source, $"tensor '{name}' has no 'data_offsets' pair [begin, end]");
        var pair = new long[2];
        i = 0;
        foreach (var offset in offsets.EnumerateArray())
        {
            if (offset.ValueKind != JsonValueKind.Number || !offset.TryGetInt64(out pair[i]) || pair[i] < 0)
                throw Invalid(source, $"tensor '{name}' has a data offset that is not a non-negative 64-bit integer: {Shorten(offset.GetRawText())}");
            i++;
        }
        long begin = pair[0], end = pair[1];
        if (end < begin)
            throw Invalid(source, $"tensor '{name}' ends (offset {end}) before it begins (offset {begin})");
        if (end > dataLength)
            throw Invalid(source, $"tensor '{name}' spans bytes {begin}..{end} but the data area holds only {dataLength} bytes (truncated or corrupt file)");
        if (!TensorData.TryGetByteCount(dtype, shape, out long expected))
            throw Invalid(source, $"tensor '{name}' declares shape {TensorData.FormatShape(shape)}, whose size overflows 64 bits");
        if (expected != end - begin)
            throw Invalid(source,
                $"tensor '{name}' is {dtypeName} {TensorData.FormatShape(shape)}, which needs {expected} bytes, but its data offsets [{begin}, {end}] span {end - begin}");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    private static void CheckTiling(List<SafeTensorsEntry> entries, long dataLength, string source)
    {
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long position = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < position)
                throw Invalid(source, $"tensors '{previous!.Name}' (bytes {previous.Begin}..{previous.End}) and '{entry.Name}' (bytes {entry.Begin}..{entry.End}) overlap");
            if (entry.Begin > position)
                throw Invalid(source, $"bytes {position}..{entry.Begin} of the data area belong to no tensor (a gap before '{entry.Name}')");
            position = entry.End;
            previous = entry;
        }
        if (position != dataLength)
            throw Invalid(source, $"the data area holds {dataLength} bytes but the tensors cover only {position}; the rest belongs to no tensor");
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    private static InvalidDataException Invalid(string source, string reason, Exception? inner = null)
        => new($"Safetensors file '{source}' is invalid: {reason}.", inner);
}
