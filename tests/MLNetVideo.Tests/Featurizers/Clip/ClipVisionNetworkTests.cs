using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Featurizers.Clip;

/// <summary>CLIP towers: configurations and parameter counts (models.md §3.2), shapes, and the OpenAI / Hugging Face key mappings.</summary>
[TestClass]
[DoNotParallelize]
public sealed class ClipVisionNetworkTests
{
    [TestMethod]
    [DataRow(ClipVisionVariant.VitB32, 50, 768, 12, 12, 512, 87.8)]
    [DataRow(ClipVisionVariant.VitB16, 197, 768, 12, 12, 512, 86.2)]
    [DataRow(ClipVisionVariant.VitL14, 257, 1024, 24, 16, 768, 304.0)]
    public void PublicSpecs_MatchModelsMd(ClipVisionVariant variant, int tokens, int width, int layers, int heads, int output, double millions)
    {
        var spec = ClipVisionSpecs.Get(variant);
        Assert.AreEqual(224, spec.ImageSize);
        Assert.AreEqual(tokens, spec.Tokens);
        Assert.AreEqual(width, spec.Width);
        Assert.AreEqual(layers, spec.Layers);
        Assert.AreEqual(heads, spec.Heads);
        Assert.AreEqual(output, spec.OutputDim);
        Assert.AreEqual(4 * width, spec.MlpWidth);
        Assert.AreEqual(millions, spec.ParameterCount / 1e6, 0.5, $"{variant}: {spec.ParameterCount}");
    }

    [TestMethod]
    public void ViTB32_BuiltNetwork_HasOpenAINamesShapesAndCount()
    {
        using var network = new ClipVisionNetwork(ClipVisionSpecs.VitB32);
        var shapes = network.state_dict().ToDictionary(kv => kv.Key, kv => string.Join('x', kv.Value.shape));
        Assert.AreEqual("768x3x32x32", shapes["conv1.weight"]);
        Assert.AreEqual("768", shapes["class_embedding"]);
        Assert.AreEqual("50x768", shapes["positional_embedding"]);
        Assert.AreEqual("2304x768", shapes["transformer.resblocks.11.attn.in_proj_weight"]);
        Assert.AreEqual("2304", shapes["transformer.resblocks.11.attn.in_proj_bias"]);
        Assert.AreEqual("768x768", shapes["transformer.resblocks.0.attn.out_proj.weight"]);
        Assert.AreEqual("3072x768", shapes["transformer.resblocks.0.mlp.c_fc.weight"]);
        Assert.AreEqual("768x3072", shapes["transformer.resblocks.0.mlp.c_proj.weight"]);
        Assert.AreEqual("768", shapes["transformer.resblocks.0.ln_2.bias"]);
        Assert.AreEqual("768", shapes["ln_post.weight"]);
        Assert.AreEqual("768x512", shapes["proj"]);
        Assert.AreEqual(4 + 2 + 12 * 12 + 2, shapes.Count, string.Join(", ", shapes.Keys));
        Assert.AreEqual(ClipVisionSpecs.VitB32.ParameterCount, network.parameters().Sum(p => p.numel()));
    }

    [TestMethod]
    public void Tiny_Forward_ShapesAndFeatures()
    {
        torch.manual_seed(3);
        var spec = ClipVisionSpecs.Tiny;
        using var network = new ClipVisionNetwork(spec);
        network.eval();
        Assert.AreEqual(spec.ParameterCount, network.parameters().Sum(p => p.numel()));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var images = randn(5, 3, 32, 32);
        var embedding = network.call(images);
        CollectionAssert.AreEqual(new long[] { 5, spec.OutputDim }, embedding.shape);
        var (features, q, k) = network.ExtractFeatures(images, 2, withQk: true);
        CollectionAssert.AreEqual(new long[] { 2, 5, 17, 64 }, features.shape);
        CollectionAssert.AreEqual(new long[] { 2, 5, 17, 64 }, q!.shape);
        CollectionAssert.AreEqual(new long[] { 2, 5, 17, 64 }, k!.shape);
        var (all, _, _) = network.ExtractFeatures(images, spec.Layers, withQk: false);
        Assert.IsTrue(all[spec.Layers - 1].allclose(features[1]), "the last kept layer must be the tower's last block");
        Assert.IsTrue(all[spec.Layers - 2].allclose(features[0]));
        Assert.IsFalse(features[0].allclose(features[1]));
    }

    // The OpenAI (TorchScript) and Hugging Face layouts are pinned by golden fixtures generated from the official code
    // (OfficialCheckpointImportTests); this one checks the preprocessing read from the file's metadata.
    [TestMethod]
    public void NativeLayoutWithMetadata_ImportsBitExactly_AndSetsThePreprocessing()
    {
        using var folder = new TempFolder();
        torch.manual_seed(7);
        using var source = new ClipVisionNetwork(ClipVisionSpecs.Tiny);
        string path = folder.File("model.safetensors");
        SafeTensorsWriter.Write(path, source.state_dict(), new Dictionary<string, string> { ["image_mean"] = "[0.5, 0.5, 0.5]", ["image_std"] = "[0.25, 0.25, 0.25]" });

        torch.manual_seed(8);
        using var target = new ClipVisionNetwork(ClipVisionSpecs.Tiny);
        var (report, pre) = ClipWeights.Load(target, path);
        Assert.IsTrue(report.IsExact, report.ToString());
        AssertSameState(source, target);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.5f, 0.5f }, pre.Mean);
        CollectionAssert.AreEqual(new[] { 0.25f, 0.25f, 0.25f }, pre.Std);
    }

    [TestMethod]
    public void WrongTower_IsRefusedWithKeyReport()
    {
        using var folder = new TempFolder();
        using var source = new ClipVisionNetwork(ClipVisionSpecs.Tiny);
        var sd = source.state_dict().Where(kv => kv.Key != "proj").ToDictionary(kv => "visual." + kv.Key, kv => kv.Value);
        string path = folder.File("partial.safetensors");
        SafeTensorsWriter.Write(path, sd);
        using var target = new ClipVisionNetwork(ClipVisionSpecs.Tiny);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ClipWeights.Load(target, path));
        StringAssert.Contains(e.Message, "proj");
    }

    internal static void AssertSameState(torch.nn.Module expected, torch.nn.Module actual)
    {
        var a = expected.state_dict();
        var b = actual.state_dict();
        CollectionAssert.AreEquivalent(a.Keys.ToList(), b.Keys.ToList());
        foreach (var (key, value) in a)
            Assert.IsTrue(value.allclose(b[key], 0, 0), $"{key} differs");
    }
}
