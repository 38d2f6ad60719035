using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Tests.Core.Weights;

[TestClass]
public sealed class TensorDataTests
{
    [TestMethod]
    [DataRow(TensorDType.Float64)]
    [DataRow(TensorDType.Float32)]
    [DataRow(TensorDType.Float16)]
    [DataRow(TensorDType.BFloat16)]
    [DataRow(TensorDType.Int64)]
    [DataRow(TensorDType.Int32)]
    [DataRow(TensorDType.Int16)]
    [DataRow(TensorDType.Int8)]
    [DataRow(TensorDType.UInt8)]
    [DataRow(TensorDType.Bool)]
    public void ToTensor_ThenFromTensor_IsBitExact(TensorDType dtype)
    {
        var bytes = new byte[6 * dtype.ItemSize()];
        new Random(7).NextBytes(bytes);
        if (dtype == TensorDType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        if (dtype.IsFloatingPoint())   // keep values finite and non-NaN so libtorch copies them untouched on any path
            for (int i = dtype.ItemSize() - 1; i < bytes.Length; i += dtype.ItemSize()) bytes[i] &= 0x3F;
        var data = new TensorData(dtype, [2, 3], bytes);

        using var tensor = data.ToTensor();
        var back = TensorData.FromTensor(tensor);

        Assert.AreEqual(dtype.ToScalarType(), tensor.dtype);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, tensor.shape);
        Assert.IsTrue(data.ContentEquals(back), $"{data} did not survive the trip through TorchSharp.");
    }

    [TestMethod]
    public void ToTensor_Float32_HasTheValues()
    {
        var data = new TensorData(TensorDType.Float32, [2, 2], WeightsTestData.Bytes(1f, -2.5f, 3f, 1e-30f));
        using var tensor = data.ToTensor();
        CollectionAssert.AreEqual(new[] { 1f, -2.5f, 3f, 1e-30f }, tensor.data<float>().ToArray());
        Assert.AreEqual(-2.5f, tensor[0, 1].item<float>());
    }

    [TestMethod]
    public void FromTensor_NonContiguousView_CopiesLogicalOrder()
    {
        using var matrix = torch.arange(6, dtype: torch.int32).reshape(2, 3);
        using var transposed = matrix.t();
        var data = TensorData.FromTensor(transposed);
        CollectionAssert.AreEqual(new long[] { 3, 2 }, data.Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 3, 1, 4, 2, 5 }, data.ToArray<int>());
    }

    [TestMethod]
    public void Constructor_WrongByteCount_IsRefused()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => new TensorData(TensorDType.Float32, [2, 3], new byte[20]));
        StringAssert.Contains(e.Message, "needs 24 bytes; got 20");
        var negative = Assert.ThrowsExactly<ArgumentException>(() => new TensorData(TensorDType.Float32, [-1], Array.Empty<byte>()));
        StringAssert.Contains(negative.Message, "dimensions must be zero or positive");
    }

    [TestMethod]
    public void Chunk_SplitsRowsAndColumns()
    {
        var data = new TensorData(TensorDType.Int32, [4, 2], WeightsTestData.Bytes(0, 1, 2, 3, 4, 5, 6, 7));

        var rows = data.Chunk(2, dim: 0);
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, rows[0].ToArray<int>());
        CollectionAssert.AreEqual(new[] { 4, 5, 6, 7 }, rows[1].ToArray<int>());
        CollectionAssert.AreEqual(new long[] { 2, 2 }, rows[1].Shape.ToArray());

        var columns = data.Chunk(2, dim: -1);
        CollectionAssert.AreEqual(new[] { 0, 2, 4, 6 }, columns[0].ToArray<int>());
        CollectionAssert.AreEqual(new[] { 1, 3, 5, 7 }, columns[1].ToArray<int>());

        var e = Assert.ThrowsExactly<ArgumentException>(() => data.Chunk(3));
        StringAssert.Contains(e.Message, "into 3 equal parts");
    }

    [TestMethod]
    public void WithPrefix_SelectsAndStrips_ToTensorsCreatesTensors()
    {
        var all = new Dictionary<string, TensorData>
        {
            ["model.fc.weight"] = new(TensorDType.Float32, [1], WeightsTestData.Bytes(2f)),
            ["model."] = TensorData.Zeros(TensorDType.Float32, 1),
            ["input"] = new(TensorDType.Float32, [1], WeightsTestData.Bytes(9f)),
        };

        var model = all.WithPrefix("model.");
        var tensors = model.ToTensors();
        try
        {
            CollectionAssert.AreEqual(new[] { "fc.weight" }, model.Keys.ToArray());
            Assert.AreEqual(2f, tensors["fc.weight"].item<float>());
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    [TestMethod]
    public void ToArray_WrongElementSize_IsRefused()
    {
        var data = TensorData.Zeros(TensorDType.Float16, 4);
        Assert.AreEqual(4, data.ToArray<Half>().Length);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => data.ToArray<float>());
        StringAssert.Contains(e.Message, "Cannot read F16 elements (2 bytes) as Single");
    }
}
