using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Persistence;

/// <summary>Reads the bytes TorchSharp's <c>Module.save</c> writes (an entry count, then per entry its name, element type,
/// shape and raw data, counts in LEB128) into named tensors, so an older layout can be upgraded before it is loaded into
/// today's module. Bounded by the bytes given: a count or shape that does not fit them is refused.</summary>
internal static class SavedModuleState
{
    /// <summary>The entries of <paramref name="bytes"/>, in order (tensors on the CPU; the caller disposes them).</summary>
    public static List<(string Name, Tensor Value)> Read(byte[] bytes)
    {
        var result = new List<(string, Tensor)>();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
            long count = Decode(reader);
            if (count < 0 || count > bytes.Length)
                throw new InvalidDataException($"it declares {count} entries");
            for (long i = 0; i < count; i++)
            {
                string name = reader.ReadString();
                var type = (ScalarType)Decode(reader);
                if (!Enum.IsDefined(type))
                    throw new InvalidDataException($"entry '{name}' has an unknown element type {(int)type}");
                long rank = Decode(reader);
                if (rank is < 0 or > 8)
                    throw new InvalidDataException($"entry '{name}' has rank {rank}");
                var shape = new long[rank];
                long elements = 1;
                for (int d = 0; d < rank; d++)
                {
                    shape[d] = Decode(reader);
                    if (shape[d] < 0 || shape[d] > bytes.Length)
                        throw new InvalidDataException($"entry '{name}' has dimension {shape[d]}");
                    elements = checked(elements * shape[d]);
                }
                // The data must fit in the bytes left before anything is allocated: a header alone never sizes an allocation.
                long length = checked(elements * ElementSize(type));
                if (length > bytes.Length - reader.BaseStream.Position)
                    throw new InvalidDataException($"entry '{name}' needs {length} bytes beyond the end");
                var tensor = empty(shape, type);
                tensor.bytes = reader.ReadBytes((int)length);
                result.Add((name, tensor));
            }
            if (reader.BaseStream.Position != bytes.Length)
                throw new InvalidDataException("bytes follow the last entry");
            return result;
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or InvalidDataException or OverflowException)
        {
            foreach (var (_, tensor) in result) tensor.Dispose();
            throw new InvalidDataException(e.Message, e);
        }
    }

    private static long ElementSize(ScalarType type)
    {
        using var probe = empty(0, type);
        return probe.ElementSize;
    }

    private static long Decode(BinaryReader reader)
    {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = reader.ReadByte();
            value |= (long)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return value;
        }
        throw new InvalidDataException("a count is longer than 64 bits");
    }
}
