using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Tests.Core.Weights;

[TestClass]
public sealed class SafeTensorsWriterTests
{
    [TestMethod]
    public void RoundTrip_EveryDType_IsBitExact_WithMetadata()
    {
        var random = new Random(42);
        var tensors = new Dictionary<string, TensorData>();
        foreach (var dtype in Enum.GetValues<TensorDType>())
        {
            long[] shape = [3, 2, 5];
            var bytes = new byte[30 * dtype.ItemSize()];
            random.NextBytes(bytes);
            if (dtype == TensorDType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
            tensors[$"block.{dtype}.weight"] = new TensorData(dtype, shape, bytes);
        }
        // NaN payloads, signed zero and infinities must survive bit for bit.
        tensors["special"] = new TensorData(TensorDType.Float32, [5],
            WeightsTestData.Bytes(BitConverter.Int32BitsToSingle(0x7FC0_1234), -0f, float.PositiveInfinity, float.Epsilon, 1.5f));
        tensors["scalar"] = new TensorData(TensorDType.Float64, [], WeightsTestData.Bytes(Math.PI));
        tensors["empty"] = new TensorData(TensorDType.Int64, [0, 4], Array.Empty<byte>());
        var metadata = new Dictionary<string, string> { ["format"] = "pt", ["note"] = "ünïcödé \"quoted\" <tag>" };

        using var folder = new TempFolder();
        var path = folder.File("roundtrip.safetensors");
        SafeTensorsWriter.Write(path, tensors, metadata);

        using var reader = SafeTensorsReader.Open(path);
        CollectionAssert.AreEquivalent(metadata, reader.Metadata.ToDictionary());
        var back = reader.ReadAll();
        CollectionAssert.AreEqual(tensors.Keys.Order(StringComparer.Ordinal).ToArray(), back.Keys.ToArray(), "Data is laid out in name order.");
        foreach (var (name, tensor) in tensors)
            Assert.IsTrue(tensor.ContentEquals(back[name]), $"{name}: wrote {tensor}, read {back[name]}");
        Assert.AreEqual(0x7FC0_1234, BitConverter.SingleToInt32Bits(back["special"].ToArray<float>()[0]));

        var file = File.ReadAllBytes(path);
        Assert.AreEqual(0L, BitConverter.ToInt64(file, 0) % 8, "The header is padded to a multiple of 8 bytes.");
        Assert.AreEqual((byte)' ', file[8 + BitConverter.ToInt64(file, 0) - 1], "Padding uses spaces.");
    }

    [TestMethod]
    [DataRow("tensors.safetensors")]
    [DataRow("module_load.safetensors")]
    public void Rewrite_OfPythonFile_IsByteForByteIdentical(string name)
    {
        var original = WeightsTestData.Checkpoint(name);
        using var folder = new TempFolder();
        var copy = folder.File(name);

        SafeTensorsWriter.Write(copy, SafeTensorsReader.ReadAll(original));

        CollectionAssert.AreEqual(File.ReadAllBytes(original), File.ReadAllBytes(copy));
    }

    [TestMethod]
    public void Write_TorchStateDict_RoundTripsIntoAFreshModule()
    {
        torch.manual_seed(3);
        using var source = torch.nn.Linear(4, 3);
        using var folder = new TempFolder();
        var path = folder.File("linear.safetensors");

        SafeTensorsWriter.Write(path, source.state_dict());

        using var target = torch.nn.Linear(4, 3);
        var report = StateDictImporter.LoadFile(target, path);
        Assert.IsTrue(report.IsExact, report.ToString());
        CollectionAssert.AreEqual(source.weight!.data<float>().ToArray(), target.weight!.data<float>().ToArray());
        CollectionAssert.AreEqual(source.bias!.data<float>().ToArray(), target.bias!.data<float>().ToArray());
    }

    [TestMethod]
    public void Write_ReservedName_IsRefused_AndLeavesNoFile()
    {
        using var folder = new TempFolder();
        var path = folder.File("bad.safetensors");
        var tensors = new Dictionary<string, TensorData> { ["__metadata__"] = TensorData.Zeros(TensorDType.Float32, 1) };

        var e = Assert.ThrowsExactly<ArgumentException>(() => SafeTensorsWriter.Write(path, tensors));

        StringAssert.Contains(e.Message, "__metadata__");
        Assert.AreEqual(0, Directory.GetFiles(folder.Path).Length, "Neither the target nor a temporary file may remain.");
    }
}
