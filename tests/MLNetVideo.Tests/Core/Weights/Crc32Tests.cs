using System.IO.Compression;

namespace MLNetVideo.Tests.Core.Weights;

/// <summary>Issue 18, item 6: the zip-entry CRC-32 (now System.IO.Hashing's) gives the standard values, the same as a bitwise
/// reference written here, and the same as the CRC the zip writer stores for each entry.</summary>
[TestClass]
public sealed class Crc32Tests
{
    private static uint Bitwise(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFF_FFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    [TestMethod]
    public void StandardCheckValue_EmptyInput_AndRandomData_MatchTheBitwiseReference()
    {
        Assert.AreEqual(0xCBF4_3926u, MLNetVideo.Weights.Crc32.Compute("123456789"u8));
        Assert.AreEqual(0u, MLNetVideo.Weights.Crc32.Compute([]));
        var random = new Random(5);
        foreach (int length in new[] { 1, 7, 64, 1000, 65_537 })
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.AreEqual(Bitwise(data), MLNetVideo.Weights.Crc32.Compute(data), $"{length} bytes");
        }
    }

    [TestMethod]
    public void EqualsTheCrcTheZipWriterStores()
    {
        var data = new byte[100_000];
        new Random(9).NextBytes(data);
        using var stream = new MemoryStream();
        using (var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true))
        using (var entry = zip.CreateEntry("data.bin").Open())
            entry.Write(data);
        stream.Position = 0;
        using var read = new ZipArchive(stream, ZipArchiveMode.Read);
        Assert.AreEqual(read.GetEntry("data.bin")!.Crc32, MLNetVideo.Weights.Crc32.Compute(data));
    }
}
