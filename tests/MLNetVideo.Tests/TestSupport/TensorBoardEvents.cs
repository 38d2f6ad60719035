using System.Buffers.Binary;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>Reads TensorBoard event files independently of our writer: TFRecord framing checked with a bitwise CRC-32C,
/// events decoded with the <c>tensorflow.Event</c> protocol-buffer classes that TorchSharp ships (Google.Protobuf).</summary>
internal static class TensorBoardEvents
{
    /// <summary>CRC-32C bit by bit (reflected polynomial 0x82F63B78), masked as TFRecord does.</summary>
    public static uint ReferenceMaskedCrc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        crc = ~crc;
        return unchecked(((crc >> 15) | (crc << 17)) + 0xA282EAD8);
    }

    /// <summary>Every record of a TFRecord file, each checked against both CRCs.</summary>
    public static List<Tensorboard.Event> Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var events = new List<Tensorboard.Event>();
        int at = 0;
        while (at < bytes.Length)
        {
            Assert.IsGreaterThanOrEqualTo(12, bytes.Length - at, "truncated record header");
            ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.AreEqual(ReferenceMaskedCrc(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)), "length CRC");
            at += 12;
            var data = bytes.AsSpan(at, (int)length);
            Assert.AreEqual(ReferenceMaskedCrc(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + (int)length)), "data CRC");
            events.Add(Tensorboard.Event.Parser.ParseFrom(data.ToArray()));
            at += (int)length + 4;
        }
        return events;
    }
}
