using MLNetVideo.Weights;

namespace MLNetVideo.Tests.Core.Weights;

[TestClass]
public sealed class KeyMappingTests
{
    private static TensorData Ints(long[] shape, params int[] values) => new(TensorDType.Int32, shape, WeightsTestData.Bytes(values));

    [TestMethod]
    public void PrefixRenameAndDropRules_RunInOrder_AndRecordOrigins()
    {
        var source = new Dictionary<string, TensorData>
        {
            ["module.conv.weight"] = Ints([1], 1),
            ["module.fc.weight"] = Ints([1], 2),
            ["module.fc.bias"] = Ints([1], 3),
            ["step"] = Ints([1], 4),
        };
        var mapping = KeyMapping.StripPrefix("module.")
            .Then(KeyMapping.Drop(@"fc\..*"))
            .Then(KeyMapping.Rename("step", "counter"))
            .Then(KeyMapping.RenameRegex(@"conv\.(.*)", "stem.conv.$1"))
            .Then(KeyMapping.AddPrefix("net."));

        var result = mapping.Apply(source);

        CollectionAssert.AreEqual(new[] { "net.stem.conv.weight", "net.counter" }, result.Tensors.Keys.ToArray());
        Assert.AreEqual(1, result.Tensors["net.stem.conv.weight"].ToArray<int>().Single());
        Assert.AreEqual(4, result.Tensors["net.counter"].ToArray<int>().Single());
        CollectionAssert.AreEqual(new[] { "module.fc.weight", "module.fc.bias" }, result.Dropped.ToArray());
        Assert.AreEqual("module.conv.weight", result.Origins["net.stem.conv.weight"]);
        Assert.AreEqual(
            "StripPrefix(\"module.\") → Drop(\"fc\\..*\") → Rename(\"step\" → \"counter\") → RenameRegex(\"conv\\.(.*)\" → \"stem.conv.$1\") → AddPrefix(\"net.\")",
            mapping.ToString());
        Assert.AreEqual(4, source.Count, "The source is not changed.");
    }

    [TestMethod]
    public void Split_FusedInProjection_GivesQueryKeyValueRows()
    {
        var source = new Dictionary<string, TensorData>
        {
            ["blocks.0.attn.in_proj_weight"] = Ints([6, 2], 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11),
            ["blocks.0.attn.in_proj_bias"] = Ints([6], 20, 21, 22, 23, 24, 25),
        };
        var mapping = KeyMapping.Split(@"(.*)\.in_proj_(weight|bias)", ["$1.q_proj.$2", "$1.k_proj.$2", "$1.v_proj.$2"]);

        var result = mapping.Apply(source).Tensors;

        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, result["blocks.0.attn.q_proj.weight"].ToArray<int>());
        CollectionAssert.AreEqual(new[] { 4, 5, 6, 7 }, result["blocks.0.attn.k_proj.weight"].ToArray<int>());
        CollectionAssert.AreEqual(new[] { 8, 9, 10, 11 }, result["blocks.0.attn.v_proj.weight"].ToArray<int>());
        CollectionAssert.AreEqual(new long[] { 2, 2 }, result["blocks.0.attn.v_proj.weight"].Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 22, 23 }, result["blocks.0.attn.k_proj.bias"].ToArray<int>());
        Assert.HasCount(6, result);
    }

    [TestMethod]
    public void TransposeReshapeAndCreate_ConvertTensors()
    {
        var source = new Dictionary<string, TensorData>
        {
            ["proj"] = Ints([2, 3], 1, 2, 3, 4, 5, 6),
            ["conv1.weight"] = Ints([2, 1, 2, 2], 1, 2, 3, 4, 5, 6, 7, 8),
        };
        var mapping = KeyMapping.Transpose("proj")
            .Then(KeyMapping.Reshape(@"conv1\.weight", 2, -1))
            .Then(KeyMapping.Create("conv1.bias", t => TensorData.Zeros(t["conv1.weight"].DType, t["conv1.weight"].Shape[0])));

        var result = mapping.Apply(source).Tensors;

        CollectionAssert.AreEqual(new long[] { 3, 2 }, result["proj"].Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 1, 4, 2, 5, 3, 6 }, result["proj"].ToArray<int>());
        CollectionAssert.AreEqual(new long[] { 2, 4 }, result["conv1.weight"].Shape.ToArray());
        CollectionAssert.AreEqual(new[] { 0, 0 }, result["conv1.bias"].ToArray<int>());
    }

    [TestMethod]
    public void TwoKeysMappedToOneName_IsRefusedNamingBoth()
    {
        var source = new Dictionary<string, TensorData> { ["module.w"] = Ints([1], 1), ["w"] = Ints([1], 2) };

        var e = Assert.ThrowsExactly<InvalidDataException>(() => KeyMapping.StripPrefix("module.").Apply(source));

        StringAssert.Contains(e.Message, "maps both 'module.w' and 'w' to 'w'");
    }

    [TestMethod]
    public void SplitThatDoesNotDivide_IsRefusedNamingTheRule()
    {
        var source = new Dictionary<string, TensorData> { ["in_proj_weight"] = Ints([4], 1, 2, 3, 4) };

        var e = Assert.ThrowsExactly<InvalidDataException>(
            () => KeyMapping.Split("in_proj_weight", ["q", "k", "v"]).Apply(source));

        StringAssert.Contains(e.Message, "Key mapping rule Split(\"in_proj_weight\"");
        StringAssert.Contains(e.Message, "into 3 equal parts");
    }
}
