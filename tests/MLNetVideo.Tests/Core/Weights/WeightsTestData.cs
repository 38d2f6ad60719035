using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MLNetVideo.Tests.Core.Weights;

/// <summary>Locates the real checkpoints in shared/data/checkpoints and crafts hostile or unusual files for the weight readers.</summary>
internal static class WeightsTestData
{
    /// <summary>The path of a real checkpoint from ../shared/data/checkpoints (relative to the repository root), or
    /// <see cref="Assert.Inconclusive(string)"/> with the reason when that folder is absent.</summary>
    public static string Checkpoint(string name)
    {
        var folder = CheckpointFolder();
        if (folder is null)
            Assert.Inconclusive("The real checkpoints folder (../shared/data/checkpoints next to the repository root) is not present on this machine.");
        var path = Path.Combine(folder!, name);
        if (!File.Exists(path))
            Assert.Inconclusive($"The real checkpoint '{name}' is not in {folder}.");
        return path;
    }

    private static string? CheckpointFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNetVideo.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "checkpoints"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }
        return null;
    }

    /// <summary>A safetensors file from a raw header text and data bytes (no validation, so tests can lie).</summary>
    public static byte[] RawSafeTensors(string header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    /// <summary>Writes a PyTorch-style zip checkpoint: &lt;archive&gt;/data.pkl, &lt;archive&gt;/data/&lt;key&gt;, byteorder and version.</summary>
    public static void WriteTorchZip(
        string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null, string archive = "archive",
        string byteOrder = "little", CompressionLevel compression = CompressionLevel.NoCompression)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, byte[] content)
        {
            var entry = zip.CreateEntry($"{archive}/{name}", compression);
            using var stream = entry.Open();
            stream.Write(content);
        }
        Add("data.pkl", pickle);
        Add("byteorder", Encoding.ASCII.GetBytes(byteOrder));
        foreach (var (key, content) in storages ?? new Dictionary<string, byte[]>())
            Add($"data/{key}", content);
        Add("version", "3\n"u8.ToArray());
    }

    /// <summary>Bytes of a little-endian array.</summary>
    public static byte[] Bytes<T>(params T[] values) where T : unmanaged
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}

/// <summary>Builds pickle bytes opcode by opcode, so tests can write both the tensors PyTorch writes and hostile programs.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> _bytes = [];

    public PickleBuilder Op(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    public PickleBuilder Proto(byte version = 2) => Op(0x80, version);
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Stop() => Op((byte)'.');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyList() => Op((byte)']');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder Tuple1() => Op(0x85);
    public PickleBuilder Tuple2() => Op(0x86);
    public PickleBuilder SetItem() => Op((byte)'s');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Append() => Op((byte)'a');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder PersId() => Op((byte)'Q');
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder Pop() => Op((byte)'0');
    public PickleBuilder Put(uint index) => Op((byte)'r').Op(BitConverter.GetBytes(index));
    public PickleBuilder Get(uint index) => Op((byte)'j').Op(BitConverter.GetBytes(index));

    public PickleBuilder Int(long value)
    {
        if (value is >= 0 and < 256) return Op((byte)'K', (byte)value);
        return Op(0x8a, 8).Op(BitConverter.GetBytes(value));
    }

    public PickleBuilder Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return Op((byte)'X').Op(BitConverter.GetBytes(utf8.Length)).Op(utf8);
    }

    public PickleBuilder Global(string module, string name) => Op((byte)'c').Op(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder IntTuple(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    /// <summary>Pushes a tensor exactly as torch.save writes it: _rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict()).</summary>
    public PickleBuilder Tensor(string storageType, string key, long storageElements, long offset, long[] size, long[] stride)
    {
        Global("torch._utils", "_rebuild_tensor_v2");
        Mark();
        Mark().Str("storage").Global("torch", storageType).Str(key).Str("cpu").Int(storageElements).Tuple().PersId();
        Int(offset).IntTuple(size).IntTuple(stride).False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        Tuple();
        return Reduce();
    }

    public byte[] ToArray() => [.. _bytes];
}
