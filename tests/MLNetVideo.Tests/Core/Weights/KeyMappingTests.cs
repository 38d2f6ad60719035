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
    public void OpenAiClipToEvlBackbone_TinyWidth_ProducesEvlNamesAndShapes()
    {
        // The conversion of EVL's weight_loaders.py (models.md §3.6) on a 1-block, width-4, patch-2 OpenAI CLIP visual tower.
        static TensorData Half(params long[] shape)
        {
            long count = shape.Aggregate(1L, (a, b) => a * b);
            return new TensorData(TensorDType.Float16, shape, WeightsTestData.Bytes(Enumerable.Range(0, (int)count).Select(i => (Half)i).ToArray()));
        }
        var openAi = new Dictionary<string, TensorData>
        {
            ["visual.class_embedding"] = Half(4),
            ["visual.positional_embedding"] = Half(5, 4),
            ["visual.conv1.weight"] = Half(4, 3, 2, 2),
            ["visual.ln_pre.weight"] = Half(4), ["visual.ln_pre.bias"] = Half(4),
            ["visual.transformer.resblocks.0.attn.in_proj_weight"] = Half(12, 4),
            ["visual.transformer.resblocks.0.attn.in_proj_bias"] = Half(12),
            ["visual.transformer.resblocks.0.attn.out_proj.weight"] = Half(4, 4),
            ["visual.transformer.resblocks.0.attn.out_proj.bias"] = Half(4),
            ["visual.transformer.resblocks.0.ln_1.weight"] = Half(4), ["visual.transformer.resblocks.0.ln_1.bias"] = Half(4),
            ["visual.transformer.resblocks.0.mlp.c_fc.weight"] = Half(16, 4), ["visual.transformer.resblocks.0.mlp.c_fc.bias"] = Half(16),
            ["visual.transformer.resblocks.0.mlp.c_proj.weight"] = Half(4, 16), ["visual.transformer.resblocks.0.mlp.c_proj.bias"] = Half(4),
            ["visual.transformer.resblocks.0.ln_2.weight"] = Half(4), ["visual.transformer.resblocks.0.ln_2.bias"] = Half(4),
            ["visual.ln_post.weight"] = Half(4), ["visual.ln_post.bias"] = Half(4),
            ["visual.proj"] = Half(4, 2),
        };
        var mapping = KeyMapping.StripPrefix("visual.")
            .Then(KeyMapping.Drop(@"ln_post\..*|proj"))
            .Then(KeyMapping.Rename("class_embedding", "cls_token"))
            .Then(KeyMapping.Rename("positional_embedding", "pos_embed"))
            .Then(KeyMapping.Rename("conv1.weight", "patch_embed.proj.weight"))
            .Then(KeyMapping.Flatten(@"patch_embed\.proj\.weight", startDim: 1))
            .Then(KeyMapping.Create("patch_embed.proj.bias", t => TensorData.Zeros(TensorDType.Float16, t["patch_embed.proj.weight"].Shape[0])))
            .Then(KeyMapping.RenameRegex(@"transformer\.resblocks\.(\d+)\.(.*)", "blocks.$1.$2"))
            .Then(KeyMapping.Split(@"(blocks\.\d+\.attn)\.in_proj_(weight|bias)", ["$1.q_proj.$2", "$1.k_proj.$2", "$1.v_proj.$2"]))
            .Then(KeyMapping.RenameRegex(@"(blocks\.\d+)\.mlp\.c_fc\.(.*)", "$1.mlp.fc1.$2"))
            .Then(KeyMapping.RenameRegex(@"(blocks\.\d+)\.mlp\.c_proj\.(.*)", "$1.mlp.fc2.$2"))
            .Then(KeyMapping.RenameRegex(@"(blocks\.\d+)\.ln_(\d)\.(.*)", "$1.norm$2.$3"));

        var result = mapping.Apply(openAi);

        var shapes = result.Tensors.ToDictionary(kv => kv.Key, kv => string.Join('x', kv.Value.Shape));
        var expected = new Dictionary<string, string>
        {
            ["cls_token"] = "4", ["pos_embed"] = "5x4", ["patch_embed.proj.weight"] = "4x12", ["patch_embed.proj.bias"] = "4",
            ["ln_pre.weight"] = "4", ["ln_pre.bias"] = "4",
            ["blocks.0.attn.q_proj.weight"] = "4x4", ["blocks.0.attn.k_proj.weight"] = "4x4", ["blocks.0.attn.v_proj.weight"] = "4x4",
            ["blocks.0.attn.q_proj.bias"] = "4", ["blocks.0.attn.k_proj.bias"] = "4", ["blocks.0.attn.v_proj.bias"] = "4",
            ["blocks.0.attn.out_proj.weight"] = "4x4", ["blocks.0.attn.out_proj.bias"] = "4",
            ["blocks.0.norm1.weight"] = "4", ["blocks.0.norm1.bias"] = "4", ["blocks.0.norm2.weight"] = "4", ["blocks.0.norm2.bias"] = "4",
            ["blocks.0.mlp.fc1.weight"] = "16x4", ["blocks.0.mlp.fc1.bias"] = "16", ["blocks.0.mlp.fc2.weight"] = "4x16", ["blocks.0.mlp.fc2.bias"] = "4",
        };
        CollectionAssert.AreEquivalent(expected, shapes);
        CollectionAssert.AreEqual(new[] { "visual.ln_post.weight", "visual.ln_post.bias", "visual.proj" }, result.Dropped.ToArray());
        Assert.AreEqual("visual.transformer.resblocks.0.attn.in_proj_weight", result.Origins["blocks.0.attn.v_proj.weight"]);
        Assert.AreEqual((Half)33, result.Tensors["blocks.0.attn.v_proj.weight"].ToArray<Half>()[1]);   // row 8 of in_proj, column 1
        Assert.AreEqual((Half)11, result.Tensors["patch_embed.proj.weight"].ToArray<Half>()[11]);       // conv1 flattened row-major
        Assert.IsTrue(result.Tensors["patch_embed.proj.bias"].ToArray<Half>().All(v => v == (Half)0));
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
