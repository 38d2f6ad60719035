using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Weights;

namespace MLNetVideo.Tests.Core.Weights;

[TestClass]
public sealed class SafeTensorsReaderTests
{
    [TestMethod]
    public void RealFile_Tensors_ReadsInt64ValuesAndShapes()
    {
        var tensors = SafeTensorsReader.ReadAll(WeightsTestData.Checkpoint("tensors.safetensors"));

        CollectionAssert.AreEqual(new[] { "arr", "arr_2d" }, tensors.Keys.ToArray());
        Assert.AreEqual(TensorDType.Int64, tensors["arr"].DType);
        CollectionAssert.AreEqual(new long[] { 6 }, tensors["arr"].Shape.ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, tensors["arr"].ToArray<long>());
        CollectionAssert.AreEqual(new long[] { 2, 3 }, tensors["arr_2d"].Shape.ToArray());
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, tensors["arr_2d"].ToArray<long>());
    }

    [TestMethod]
    public void RealFile_ModuleLoad_HeaderEntriesAndValues()
    {
        using var reader = SafeTensorsReader.Open(WeightsTestData.Checkpoint("module_load.safetensors"));

        CollectionAssert.AreEqual(new[] { "lin1.weight F32 [2, 5]", "lin2.weight F32 [2, 2]" }, reader.Entries.Select(e => e.ToString()).ToArray());
        Assert.AreEqual(0L, reader.Entries[0].Begin);
        Assert.AreEqual(40L, reader.Entries[0].End);
        Assert.AreEqual(56L, reader.Entries[1].End);
        Assert.AreEqual(0, reader.Metadata.Count);
        CollectionAssert.AreEqual(Enumerable.Repeat(1f, 10).ToArray(), reader.Read("lin1.weight").ToArray<float>());
        CollectionAssert.AreEqual(Enumerable.Repeat(2f, 4).ToArray(), reader.Read("lin2.weight").ToArray<float>());
        Assert.ThrowsExactly<KeyNotFoundException>(() => reader.Read("lin3.weight"));
    }

    [TestMethod]
    public void TruncatedFile_EveryLength_IsRefusedNamingTheFile()
    {
        var original = File.ReadAllBytes(WeightsTestData.Checkpoint("tensors.safetensors"));
        using var folder = new TempFolder();
        for (int length = 0; length < original.Length; length++)
        {
            var path = folder.File($"truncated-{length}.safetensors");
            File.WriteAllBytes(path, original[..length]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsReader.ReadAll(path), $"length {length}");
            StringAssert.Contains(e.Message, path);
        }
    }

    [TestMethod]
    public void FlippedHeaderByte_AnyPosition_IsRefused()
    {
        var original = File.ReadAllBytes(WeightsTestData.Checkpoint("tensors.safetensors"));
        using var folder = new TempFolder();
        int headerEnd = 8 + BitConverter.ToInt32(original, 0);
        for (int position = 0; position < headerEnd; position++)
        {
            var damaged = (byte[])original.Clone();
            damaged[position] ^= 0x80;
            var path = folder.File($"flipped-{position}.safetensors");
            File.WriteAllBytes(path, damaged);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsReader.ReadAll(path), $"byte {position}");
            StringAssert.Contains(e.Message, "is invalid:");
        }
    }

    [TestMethod]
    [DataRow(ulong.MaxValue, "more than WeightsReadLimits.MaxHeaderBytes")]
    [DataRow(1_000_000UL, "only 24 follow the length field")]
    public void HugeDeclaredHeaderLength_IsRefusedBeforeAllocating(ulong declared, string reason)
    {
        var bytes = WeightsTestData.RawSafeTensors("{}", new byte[22], declared);
        var e = Refuse(bytes);
        StringAssert.Contains(e.Message, reason);
    }

    [TestMethod]
    [DataRow("""{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,8]}}""", "overflows 64 bits")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1000000000000],"data_offsets":[0,4000000000000]}}""", "data area holds only 8 bytes")]
    [DataRow("""{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", "needs 12 bytes")]
    [DataRow("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", "not a non-negative 64-bit integer")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", "before it begins")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}""", "lists 'a' twice")]
    [DataRow("""{"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}}""", "unknown dtype 'F33'")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2]}}""", "no 'data_offsets' pair")]
    [DataRow("""{"__metadata__":{"format":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", "is not a string")]
    [DataRow("""["a"]""", "does not start with '{'")]
    [DataRow("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}""", "not valid JSON")]
    [DataRow("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", "cover only 4")]
    public void InvalidHeader_IsRefusedWithTheReason(string header, string reason)
    {
        var e = Refuse(WeightsTestData.RawSafeTensors(header, new byte[8]));
        StringAssert.Contains(e.Message, reason);
    }

    [TestMethod]
    public void OverlappingOffsets_AreRefusedNamingBothTensors()
    {
        var header = """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""";
        var e = Refuse(WeightsTestData.RawSafeTensors(header, new byte[12]));
        StringAssert.Contains(e.Message, "tensors 'a' (bytes 0..8) and 'b' (bytes 4..12) overlap");
    }

    [TestMethod]
    public void GapBetweenTensors_IsRefused()
    {
        var header = """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""";
        var e = Refuse(WeightsTestData.RawSafeTensors(header, new byte[12]));
        StringAssert.Contains(e.Message, "bytes 4..8 of the data area belong to no tensor");
    }

    [TestMethod]
    public void DeeplyNestedJson_IsRefusedNotOverflowed()
    {
        var header = """{"a":{"dtype":"F32","shape":""" + new string('[', 100_000) + new string(']', 100_000) + ""","data_offsets":[0,0]}}""";
        var e = Refuse(WeightsTestData.RawSafeTensors(header, []));
        StringAssert.Contains(e.Message, "not valid JSON");
    }

    [TestMethod]
    public void DTypeTheFormatDefinesButWeDoNotHandle_IsNotSupported()
    {
        using var folder = new TempFolder();
        var path = folder.File("u32.safetensors");
        File.WriteAllBytes(path, WeightsTestData.RawSafeTensors("""{"a":{"dtype":"U32","shape":[2],"data_offsets":[0,8]}}""", new byte[8]));
        var e = Assert.ThrowsExactly<NotSupportedException>(() => SafeTensorsReader.ReadAll(path));
        StringAssert.Contains(e.Message, "dtype U32");
    }

    [TestMethod]
    public void Limits_HeaderAndTotalSize_AreEnforced()
    {
        var path = WeightsTestData.Checkpoint("tensors.safetensors");
        var header = Assert.ThrowsExactly<InvalidDataException>(
            () => SafeTensorsReader.ReadAll(path, new WeightsReadLimits { MaxHeaderBytes = 64 }));
        StringAssert.Contains(header.Message, "the header claims 120 bytes, more than WeightsReadLimits.MaxHeaderBytes (64)");

        var total = Assert.ThrowsExactly<InvalidDataException>(
            () => SafeTensorsReader.ReadAll(path, new WeightsReadLimits { MaxTotalBytes = 95 }));
        StringAssert.Contains(total.Message, "MaxTotalBytes (95 bytes)");

        using var reader = SafeTensorsReader.Open(path, new WeightsReadLimits { MaxTensorBytes = 47 });
        var single = Assert.ThrowsExactly<InvalidDataException>(() => reader.Read("arr"));
        StringAssert.Contains(single.Message, "tensor 'arr' holds 48 bytes");
    }

    [TestMethod]
    public void Metadata_IsReturnedAsText()
    {
        var header = """{"__metadata__":{"format":"pt","source":"../../etc/passwd"},"a":{"dtype":"I8","shape":[2],"data_offsets":[0,2]}}""";
        using var folder = new TempFolder();
        var path = folder.File("meta.safetensors");
        File.WriteAllBytes(path, WeightsTestData.RawSafeTensors(header, [7, 0xF9]));
        using var reader = SafeTensorsReader.Open(path);
        Assert.AreEqual("pt", reader.Metadata["format"]);
        Assert.AreEqual("../../etc/passwd", reader.Metadata["source"]);
        CollectionAssert.AreEqual(new sbyte[] { 7, -7 }, reader.Read("a").ToArray<sbyte>());
    }

    [TestMethod]
    [DataRow("tensors.safetensors")]
    [DataRow("module_load.safetensors")]
    public void MutatedHeader_SeededFuzz_EitherReadsConsistentlyOrIsRefusedCleanly(string name)
    {
        // JSON-looking substitutions keep the header plausible so the checks behind the parser are exercised too.
        const string alphabet = "{}[]\",:0123456789-+eE. FIU8BOLa_";
        var original = File.ReadAllBytes(WeightsTestData.Checkpoint(name));
        int headerEnd = 8 + BitConverter.ToInt32(original, 0);
        var random = new Random(99);
        using var folder = new TempFolder();
        var path = folder.File("mutated.safetensors");
        int refused = 0;
        for (int round = 0; round < 1_000; round++)
        {
            var mutated = (byte[])original.Clone();
            for (int k = random.Next(1, 4); k > 0; k--)
                mutated[random.Next(8, headerEnd)] = (byte)alphabet[random.Next(alphabet.Length)];
            File.WriteAllBytes(path, mutated);
            try
            {
                using var reader = SafeTensorsReader.Open(path);
                var tensors = reader.ReadAll();
                Assert.AreEqual(original.Length - headerEnd, tensors.Values.Sum(t => (long)t.Bytes.Length), "Accepted tensors tile the data area.");
            }
            catch (Exception e) when (e is InvalidDataException or NotSupportedException)
            {
                StringAssert.Contains(e.Message, path);
                refused++;
            }
        }
        Assert.IsGreaterThan(500, refused);
    }

    private static InvalidDataException Refuse(byte[] bytes)
    {
        using var folder = new TempFolder();
        var path = folder.File("crafted.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensorsReader.ReadAll(path));
        StringAssert.Contains(e.Message, path);
        return e;
    }
}
