using System.Buffers.Binary;
using System.IO.Compression;

namespace MLNetVideo.Weights;

/// <summary>
/// Writes checkpoints that <c>torch.load</c> (and <see cref="PyTorchCheckpointReader"/>) read: a state dict, or a dict that
/// wraps one, in the official layout of a published checkpoint (for example <c>{"state_dict": {"module.…": …}, "epoch": 50}</c>).
/// </summary>
/// <remarks>Values of a root dictionary may be <see cref="TensorData"/>, <see cref="string"/>, <see cref="long"/>,
/// <see cref="int"/>, <see cref="double"/>, <see cref="bool"/>, <see langword="null"/>, a state dict
/// (<c>IEnumerable&lt;KeyValuePair&lt;string, TensorData&gt;&gt;</c>, written as an <c>OrderedDict</c>) or another such
/// dictionary (<c>IEnumerable&lt;KeyValuePair&lt;string, object?&gt;&gt;</c>, written as a <c>dict</c>). Every tensor gets a
/// storage of its own; files are written to a temporary name and moved into place.</remarks>
public static class PyTorchCheckpointWriter
{
    /// <summary>Writes a state dict as <c>torch.save(model.state_dict(), path)</c> does.</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="stateDict">Tensors by key, in the order to write them.</param>
    /// <param name="format">Zip (default) or legacy.</param>
    public static void WriteStateDict(string path, IEnumerable<KeyValuePair<string, TensorData>> stateDict, PyTorchCheckpointFormat format = PyTorchCheckpointFormat.Zip)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        WriteObject(path, stateDict, format);
    }

    /// <summary>Writes a dictionary (see the remarks for the value types) as <c>torch.save(dict, path)</c> does.</summary>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="root">Entries in the order to write them.</param>
    /// <param name="format">Zip (default) or legacy.</param>
    /// <exception cref="ArgumentException">A value has a type that cannot be written.</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, object?>> root, PyTorchCheckpointFormat format = PyTorchCheckpointFormat.Zip)
    {
        ArgumentNullException.ThrowIfNull(root);
        WriteObject(path, root, format);
    }

    private static void WriteObject(string path, object root, PyTorchCheckpointFormat format)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!Enum.IsDefined(format))
            throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown checkpoint format.");
        var storages = new List<TensorData>();
        var pickle = new PickleWriter();
        WriteValue(pickle, root, storages, format == PyTorchCheckpointFormat.Legacy);
        byte[] data = pickle.Finish();
        string temporary = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                if (format == PyTorchCheckpointFormat.Zip) WriteZip(stream, data, storages);
                else WriteLegacy(stream, data, storages);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Pickles one value; tensors are appended to <paramref name="storages"/> and referenced by index.</summary>
    internal static void WriteValue(PickleWriter p, object? value, List<TensorData> storages, bool legacy)
    {
        switch (value)
        {
            case null: p.None(); break;
            case bool b: p.Bool(b); break;
            case int i: p.Int(i); break;
            case long l: p.Int(l); break;
            case double d: p.Float(d); break;
            case float f: p.Float(f); break;
            case string s: p.String(s); break;
            case TensorData tensor: WriteTensor(p, tensor, storages, legacy); break;
            case IEnumerable<KeyValuePair<string, TensorData>> stateDict:
                p.Global("collections", "OrderedDict");
                p.EmptyTuple();
                p.Reduce();
                WriteItems(p, stateDict.Select(kv => new KeyValuePair<string, object?>(kv.Key, kv.Value)), storages, legacy);
                break;
            case IEnumerable<KeyValuePair<string, object?>> dict:
                p.EmptyDict();
                WriteItems(p, dict, storages, legacy);
                break;
            default:
                throw new ArgumentException($"A checkpoint value of type {value.GetType().Name} cannot be written; use tensors, strings, numbers, booleans, null and dictionaries.", nameof(value));
        }
    }

    private static void WriteItems(PickleWriter p, IEnumerable<KeyValuePair<string, object?>> items, List<TensorData> storages, bool legacy)
    {
        p.Mark();
        foreach (var (key, value) in items)
        {
            p.String(key);
            WriteValue(p, value, storages, legacy);
        }
        p.SetItems();
    }

    /// <summary><c>torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())</c> over a storage of its own.</summary>
    internal static void WriteTensor(PickleWriter p, TensorData tensor, List<TensorData> storages, bool legacy)
    {
        string key = storages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        storages.Add(tensor);
        p.Global("torch._utils", "_rebuild_tensor_v2");
        p.Mark();
        p.Mark();
        p.String("storage");
        p.Global("torch", StorageTypeName(tensor.DType));
        p.String(key);
        p.String("cpu");
        p.Int(tensor.ElementCount);
        if (legacy) p.None();   // no view metadata
        p.Tuple();
        p.PersistentId();
        p.Int(0);
        p.Mark();
        foreach (long d in tensor.Shape) p.Int(d);
        p.Tuple();
        p.Mark();
        long stride = 1;
        var strides = new long[tensor.Shape.Count];
        for (int i = strides.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, tensor.Shape[i]);
        }
        foreach (long s in strides) p.Int(s);
        p.Tuple();
        p.Bool(false);
        p.Global("collections", "OrderedDict");
        p.EmptyTuple();
        p.Reduce();
        p.Tuple();
        p.Reduce();
    }

    /// <summary>The <c>torch.*Storage</c> class of an element type.</summary>
    internal static string StorageTypeName(TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 => "DoubleStorage",
        TensorDType.Float32 => "FloatStorage",
        TensorDType.Float16 => "HalfStorage",
        TensorDType.BFloat16 => "BFloat16Storage",
        TensorDType.Int64 => "LongStorage",
        TensorDType.Int32 => "IntStorage",
        TensorDType.Int16 => "ShortStorage",
        TensorDType.Int8 => "CharStorage",
        TensorDType.UInt8 => "ByteStorage",
        TensorDType.Bool => "BoolStorage",
        _ => throw new ArgumentException($"PyTorch checkpoints have no storage type for {dtype}.", nameof(dtype)),
    };

    /// <summary>The zip layout of <c>torch.save</c>: <c>{archive}/data.pkl</c>, <c>byteorder</c>, <c>data/N</c>, <c>version</c>;
    /// extra entries (for example TorchScript's <c>code/</c> files) are written after the pickle.</summary>
    internal static void WriteZip(Stream stream, byte[] pickle, IReadOnlyList<TensorData> storages, string archive = "archive",
        IEnumerable<KeyValuePair<string, byte[]>>? extraEntries = null)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        void Add(string name, ReadOnlySpan<byte> content)
        {
            using var entry = zip.CreateEntry($"{archive}/{name}", CompressionLevel.NoCompression).Open();
            entry.Write(content);
        }
        Add("data.pkl", pickle);
        foreach (var (name, content) in extraEntries ?? []) Add(name, content);
        Add("byteorder", "little"u8);
        for (int i = 0; i < storages.Count; i++)
            Add($"data/{i}", storages[i].Bytes.Span);
        Add("version", "3\n"u8);
    }

    private static void WriteLegacy(Stream stream, byte[] pickle, IReadOnlyList<TensorData> storages)
    {
        var magic = new PickleWriter();
        magic.Raw([0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);
        stream.Write(magic.Finish());
        var protocol = new PickleWriter();
        protocol.Int(1001);
        stream.Write(protocol.Finish());
        var sysInfo = new PickleWriter();
        var unused = new List<TensorData>();
        WriteValue(sysInfo, new Dictionary<string, object?>
        {
            ["protocol_version"] = 1001L,
            ["little_endian"] = true,
            ["type_sizes"] = new Dictionary<string, object?> { ["short"] = 2L, ["int"] = 4L, ["long"] = 4L },
        }, unused, legacy: true);
        stream.Write(sysInfo.Finish());
        stream.Write(pickle);
        // torch.save writes the storage keys sorted as strings, then the storages in that order.
        var keys = Enumerable.Range(0, storages.Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        var keyList = new PickleWriter();
        keyList.EmptyList();
        if (keys.Count > 0)
        {
            keyList.Mark();
            foreach (var k in keys) keyList.String(k);
            keyList.Appends();
        }
        stream.Write(keyList.Finish());
        Span<byte> count = stackalloc byte[8];
        foreach (var k in keys)
        {
            var storage = storages[int.Parse(k, System.Globalization.CultureInfo.InvariantCulture)];
            BinaryPrimitives.WriteInt64LittleEndian(count, storage.ElementCount);
            stream.Write(count);
            stream.Write(storage.Bytes.Span);
        }
    }
}
