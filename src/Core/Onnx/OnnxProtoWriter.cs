using System.Buffers.Binary;
using System.Text;

namespace MLNetVideo.Onnx;

/// <summary>A minimal protocol-buffers encoder: enough of the wire format to write an ONNX <c>ModelProto</c>
/// (varints, length-delimited fields, fixed32 floats).</summary>
internal sealed class OnnxProtoWriter
{
    private readonly MemoryStream _stream = new();

    public long Length => _stream.Length;

    public byte[] ToArray() => _stream.ToArray();

    public void CopyTo(Stream destination)
    {
        _stream.Position = 0;
        _stream.CopyTo(destination);
    }

    public void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }

    private void Tag(int field, int wire) => Varint(((ulong)field << 3) | (uint)wire);

    public void Int64(int field, long value)
    {
        Tag(field, 0);
        Varint(unchecked((ulong)value));
    }

    public void Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.Write(bytes);
    }

    public void Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        _stream.Write(value);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public void Message(int field, Action<OnnxProtoWriter> body)
    {
        var inner = new OnnxProtoWriter();
        body(inner);
        Tag(field, 2);
        Varint((ulong)inner.Length);
        inner.CopyTo(_stream);
    }

    /// <summary>Writes a length-delimited field to <paramref name="destination"/> whose content is the concatenation of
    /// <paramref name="parts"/> (already encoded fields), without copying them into one buffer first.</summary>
    public static void WriteField(Stream destination, int field, IReadOnlyList<OnnxProtoWriter> parts)
    {
        var header = new OnnxProtoWriter();
        header.Tag(field, 2);
        header.Varint((ulong)parts.Sum(p => p.Length));
        header.CopyTo(destination);
        foreach (var part in parts) part.CopyTo(destination);
    }
}
