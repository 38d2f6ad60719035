using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

// Export and import of a streaming session's state, so that a session can be persisted (every N frames, in a grain's
// storage, a file, ...) and resumed in another process on the same model: after ImportState, pushing the same frames gives
// the same logits as the session that was exported.
public sealed partial class MoViNetStream
{
    private const int SnapshotVersion = 1;
    private static ReadOnlySpan<byte> SnapshotMagic => "MLNVMOVS"u8;

    /// <summary>
    /// The session's state as bytes: for every member network the frames seen, the last logits and every state tensor
    /// (<see cref="StateShapes"/>), followed by a SHA-256 of the content. A few MB for A0 at 172² (the size of the state);
    /// restore it with <see cref="ImportState"/> on a session of the same model.
    /// </summary>
    /// <returns>The snapshot.</returns>
    public byte[] ExportState()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(SnapshotMagic);
            writer.Write(SnapshotVersion);
            writer.Write(_members.Count);
            writer.Write(NumClasses);
            for (int m = 0; m < _members.Count; m++)
            {
                writer.Write(_states[m].FramesSeen);
                WriteTensor(writer, _lastLogits[m]);
                var tensors = _states[m].Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray();
                writer.Write(tensors.Length);
                foreach (var (name, tensor) in tensors)
                {
                    writer.Write(name);
                    WriteTensor(writer, tensor);
                }
            }
        }
        var content = memory.ToArray();
        return [.. content, .. SHA256.HashData(content)];
    }

    /// <summary>
    /// Replaces the session's state with a snapshot from <see cref="ExportState"/> (of this session or of another session on
    /// the same model, in any process). The next <see cref="Push(Tensor)"/> continues exactly where the exported session was.
    /// </summary>
    /// <param name="snapshot">Bytes from <see cref="ExportState"/>.</param>
    /// <exception cref="InvalidDataException">The bytes are not a snapshot, are damaged, or come from a different model
    /// (other member count, class count, state names or channel counts); the session is left unchanged.</exception>
    public void ImportState(byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (snapshot.Length < SnapshotMagic.Length + 32 || !snapshot.AsSpan(0, SnapshotMagic.Length).SequenceEqual(SnapshotMagic))
            throw new InvalidDataException("The bytes are not a MoViNet stream snapshot (ExportState).");
        var content = snapshot.AsSpan(0, snapshot.Length - 32);
        if (!SHA256.HashData(content).AsSpan().SequenceEqual(snapshot.AsSpan(snapshot.Length - 32)))
            throw new InvalidDataException("The MoViNet stream snapshot is damaged (its SHA-256 does not match its content).");

        var restored = new List<(long Frames, float[]? Logits, long[]? LogitsShape, Dictionary<string, (long[] Shape, float[] Values)> Tensors)>();
        using (var reader = new BinaryReader(new MemoryStream(snapshot, 0, content.Length), Encoding.UTF8))
        {
            try
            {
                reader.ReadBytes(SnapshotMagic.Length);
                int version = reader.ReadInt32();
                if (version != SnapshotVersion)
                    throw new InvalidDataException($"The MoViNet stream snapshot has format version {version}; this MLNetVideo reads version {SnapshotVersion}.");
                int members = reader.ReadInt32(), classes = reader.ReadInt32();
                if (members != _members.Count || classes != NumClasses)
                    throw new InvalidDataException($"The snapshot is of a model with {members} member network(s) and {classes} classes; this session's model has {_members.Count} and {NumClasses}.");
                for (int m = 0; m < members; m++)
                {
                    var expected = _members[m].StateShapes(1, 32, 32).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
                    long frames = reader.ReadInt64();
                    var (logitsShape, logits) = ReadTensor(reader);
                    int count = reader.ReadInt32();
                    if (frames < 0 || (count != 0 && count != expected.Count) || (count == 0) != (frames == 0))
                        throw new InvalidDataException($"The snapshot holds {count} state tensors after {frames} frames for {Prefix(m)}; this model keeps {expected.Count}.");
                    var tensors = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
                    for (int i = 0; i < count; i++)
                    {
                        string name = reader.ReadString();
                        var (shape, values) = ReadTensor(reader);
                        if (!expected.TryGetValue(name, out var like) || shape is null || shape.Length != 5 || shape[1] != like[1] || shape[2] != like[2])
                            throw new InvalidDataException($"The snapshot's state '{Prefix(m)}{name}' [{string.Join(", ", shape ?? [])}] does not belong to this model (it keeps {string.Join(", ", expected.Keys.Take(3))}, …).");
                        tensors[name] = (shape, values!);
                    }
                    restored.Add((frames, logits, logitsShape, tensors));
                }
                if (reader.BaseStream.Position != content.Length)
                    throw new InvalidDataException("The MoViNet stream snapshot has trailing bytes.");
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException("The MoViNet stream snapshot is truncated.", e);
            }
        }

        Reset();
        using var scope = NewDisposeScope();
        for (int m = 0; m < restored.Count; m++)
        {
            var (frames, logits, logitsShape, tensors) = restored[m];
            _states[m].Restore(tensors.ToDictionary(kv => kv.Key, kv => tensor(kv.Value.Values, kv.Value.Shape).to(_device)), frames);
            if (logits is not null)
                _lastLogits[m] = tensor(logits, logitsShape!).to(_device).DetachFromDisposeScope();
        }
    }

    private static void WriteTensor(BinaryWriter writer, Tensor? value)
    {
        if (value is null)
        {
            writer.Write(-1);
            return;
        }
        using var scope = NewDisposeScope();
        var cpu = value.to_type(ScalarType.Float32).cpu().contiguous();
        writer.Write((int)cpu.dim());
        foreach (long d in cpu.shape) writer.Write(d);
        var data = cpu.data<float>().ToArray();
        var bytes = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), data[i]);
        writer.Write(bytes);
    }

    private static (long[]? Shape, float[]? Values) ReadTensor(BinaryReader reader)
    {
        int rank = reader.ReadInt32();
        if (rank == -1) return (null, null);
        if (rank is < 0 or > 8) throw new InvalidDataException($"The MoViNet stream snapshot holds a tensor of rank {rank}.");
        var shape = new long[rank];
        long elements = 1;
        for (int i = 0; i < rank; i++)
        {
            shape[i] = reader.ReadInt64();
            if (shape[i] is < 1 or > int.MaxValue) throw new InvalidDataException($"The MoViNet stream snapshot holds a tensor dimension of {shape[i]}.");
            elements *= shape[i];
            // Bounded by the bytes that are really there, so a forged header cannot make us allocate more than the snapshot.
            if (elements * 4 > reader.BaseStream.Length - reader.BaseStream.Position)
                throw new EndOfStreamException();
        }
        var bytes = reader.ReadBytes((int)(elements * 4));
        if (bytes.Length != elements * 4) throw new EndOfStreamException();
        var values = new float[elements];
        for (int i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(4 * i));
        return (shape, values);
    }
}
