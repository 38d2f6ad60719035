using System.Buffers.Binary;
using System.Text;

namespace MLNetVideo.Weights;

/// <summary>
/// Emits pickle protocol 2 opcodes, the subset that <c>torch.save</c> uses for checkpoints (and that
/// <see cref="RestrictedUnpickler"/> reads back): values, tuples, dicts, globals, REDUCE, NEWOBJ, BUILD and persistent ids.
/// </summary>
internal sealed class PickleWriter
{
    private readonly MemoryStream _out = new();

    public PickleWriter() => _out.Write([0x80, 2]);   // PROTO 2

    public void Mark() => Op((byte)'(');

    public void None() => Op((byte)'N');

    public void Bool(bool value) => Op(value ? (byte)0x88 : (byte)0x89);

    public void Int(long value)
    {
        if (value is >= 0 and <= 0xff) { Op((byte)'K'); _out.WriteByte((byte)value); }
        else if (value is >= 0 and <= 0xffff) { Op((byte)'M'); Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value); _out.Write(b); }
        else if (value is >= int.MinValue and <= int.MaxValue) { Op((byte)'J'); Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, (int)value); _out.Write(b); }
        else { Op(0x8a); _out.WriteByte(8); Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, value); _out.Write(b); }
    }

    public void Float(double value)
    {
        Op((byte)'G');
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(b, value);
        _out.Write(b);
    }

    public void String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Op((byte)'X');
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(b, bytes.Length);
        _out.Write(b);
        _out.Write(bytes);
    }

    public void Global(string module, string name)
    {
        Op((byte)'c');
        _out.Write(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));
    }

    public void EmptyTuple() => Op((byte)')');

    /// <summary>TUPLE of everything since the last MARK.</summary>
    public void Tuple() => Op((byte)'t');

    public void EmptyDict() => Op((byte)'}');

    public void EmptyList() => Op((byte)']');

    /// <summary>SETITEMS: key/value pairs since the last MARK into the dict below them.</summary>
    public void SetItems() => Op((byte)'u');

    /// <summary>APPENDS: items since the last MARK into the list below them.</summary>
    public void Appends() => Op((byte)'e');

    public void Reduce() => Op((byte)'R');

    public void NewObj() => Op(0x81);

    public void Build() => Op((byte)'b');

    public void PersistentId() => Op((byte)'Q');

    /// <summary>Raw bytes (for a pickle that must match a fixed byte sequence).</summary>
    public void Raw(ReadOnlySpan<byte> bytes) => _out.Write(bytes);

    /// <summary>STOP, and the finished pickle.</summary>
    public byte[] Finish()
    {
        Op((byte)'.');
        return _out.ToArray();
    }

    private void Op(byte op) => _out.WriteByte(op);
}
