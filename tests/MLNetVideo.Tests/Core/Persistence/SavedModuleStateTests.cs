using MLNetVideo.Persistence;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Core.Persistence;

/// <summary>The reader of <c>Module.save</c> bytes that upgrades older zip layouts: exact on real bytes, and a header can never
/// size an allocation beyond the bytes that follow it.</summary>
[TestClass]
public sealed class SavedModuleStateTests
{
    [TestMethod]
    public void ModuleSaveBytes_ReadBackWithTheirNamesShapesAndValues()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var module = nn.Linear(3, 2);
        using var stream = new MemoryStream();
        module.save(stream);
        var entries = SavedModuleState.Read(stream.ToArray());
        var expected = module.state_dict();
        CollectionAssert.AreEqual(expected.Keys.ToArray(), entries.Select(e => e.Name).ToArray());
        foreach (var (name, value) in entries)
        {
            CollectionAssert.AreEqual(expected[name].shape, value.shape, name);
            Assert.IsTrue(expected[name].equal(value).all().item<bool>(), name);
        }
    }

    [TestMethod]
    public void AHeaderDeclaringMoreDataThanFollows_IsRefusedBeforeAllocating()
    {
        // One float entry declaring [4096, 4096, 4096] (256 GiB) with 4 KiB of data behind it: every dimension is within
        // the file's length, only their product is not.
        var bytes = Header("w", (int)ScalarType.Float32, 4096, 4096, 4096).Concat(new byte[4096]).ToArray();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SavedModuleState.Read(bytes));
        StringAssert.Contains(e.Message, "'w' needs 274877906944 bytes beyond the end");
    }

    [TestMethod]
    public void AnUnknownElementType_IsRefused()
    {
        var bytes = Header("w", 99, 1).Concat(new byte[8]).ToArray();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SavedModuleState.Read(bytes));
        StringAssert.Contains(e.Message, "element type");
    }

    // One entry's header in Module.save's layout: entry count, name, element type, rank, dimensions (counts in LEB128).
    private static byte[] Header(string name, int type, params long[] shape)
    {
        using var stream = new MemoryStream();
        using var writer = new BinaryWriter(stream);
        Leb128(writer, 1);
        writer.Write(name);
        Leb128(writer, type);
        Leb128(writer, shape.Length);
        foreach (long d in shape) Leb128(writer, d);
        writer.Flush();
        return stream.ToArray();
    }

    private static void Leb128(BinaryWriter writer, long value)
    {
        do
        {
            byte b = (byte)(value & 0x7F);
            value >>= 7;
            writer.Write(value != 0 ? (byte)(b | 0x80) : b);
        } while (value != 0);
    }
}
