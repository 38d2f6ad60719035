using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.Evl.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Evl;

/// <summary>EVL decoder: checkpoint names and shapes, parameter counts vs models.md §3.3, forward shapes, inter-frame attention rules.</summary>
[TestClass]
[DoNotParallelize]
public sealed class EvlNetworkTests
{
    private static EvlSpec Tiny(bool interFrame = true) => new()
    {
        Layers = 2, Frames = 4, Tokens = 17, Width = 16, BackboneHeads = 2, DecoderHeads = 2, NumClasses = 3,
        UseInterFrameAttention = interFrame,
    };

    [TestMethod]
    public void VitB16_FourLayers_K400_HasPaperTrainableParameterCount()
    {
        var spec = new EvlSpec { Layers = 4, Frames = 8, Tokens = 197, Width = 768, BackboneHeads = 12, DecoderHeads = 12, NumClasses = 400 };
        Assert.AreEqual(33.2, spec.ParameterCount / 1e6, 0.05, spec.ParameterCount.ToString());
        var large = spec with { Tokens = 257, Width = 1024, BackboneHeads = 16, DecoderHeads = 16 };
        Assert.AreEqual(58.7, large.ParameterCount / 1e6, 0.1, large.ParameterCount.ToString());
    }

    [TestMethod]
    public void Tiny_StateDict_UsesReleasedCheckpointNames_AndCountMatchesSpec()
    {
        var spec = Tiny();
        using var network = new EvlNetwork(spec);
        var shapes = network.state_dict().ToDictionary(kv => kv.Key, kv => string.Join('x', kv.Value.shape));
        Assert.AreEqual("16", shapes["decoder.cls_token"]);
        Assert.AreEqual("16x16", shapes["decoder.decoder_layers.1.attn.q_proj.weight"]);
        Assert.AreEqual("16", shapes["decoder.decoder_layers.1.attn.out_proj.bias"]);
        Assert.AreEqual("64x16", shapes["decoder.decoder_layers.0.mlp.fc1.weight"]);
        Assert.AreEqual("16x64", shapes["decoder.decoder_layers.0.mlp.fc2.weight"]);
        Assert.AreEqual("16", shapes["decoder.decoder_layers.0.norm3.weight"]);
        Assert.AreEqual("16x1x3", shapes["decoder.temporal_conv.1.weight"]);
        Assert.AreEqual("4x16", shapes["decoder.temporal_pos_embed.1"]);
        Assert.AreEqual("49x16", shapes["decoder.cross_attention.0.w1"]);   // (2·4 − 1)² rows for a 4×4 grid
        Assert.AreEqual("49x16", shapes["decoder.cross_attention.1.w2"]);
        Assert.AreEqual("16", shapes["proj.0.weight"]);
        Assert.AreEqual("3x16", shapes["proj.2.weight"]);
        Assert.AreEqual(spec.ParameterCount, network.parameters().Sum(p => p.numel()));
    }

    [TestMethod]
    public void Forward_GivesLogits_AndRejectsWrongFeatureShape()
    {
        torch.manual_seed(1);
        using var network = new EvlNetwork(Tiny());
        network.eval();
        using var scope = NewDisposeScope();
        var logits = network.call(randn([2, 6, 4, 17, 16]));
        CollectionAssert.AreEqual(new long[] { 2, 3 }, logits.shape);
        Assert.ThrowsExactly<ArgumentException>(() => network.call(randn([2, 2, 4, 17, 16])));
        using var plain = new EvlNetwork(Tiny(interFrame: false));
        plain.eval();
        CollectionAssert.AreEqual(new long[] { 2, 3 }, plain.call(randn([2, 2, 4, 17, 16])).shape);
    }

    [TestMethod]
    public void InterFrameAttention_PreviousUsesW1_NextUsesW2_AndWeightsSumToOne()
    {
        // Each affinity row is a softmax averaged over heads, so with w1 ≡ 1 and w2 ≡ 2 every patch of frame t gets
        // 1 (if t has a previous frame) + 2 (if t has a next frame).
        torch.manual_seed(2);
        using var module = new TemporalCrossAttention(grid: 4, width: 8, heads: 2);
        using var scope = NewDisposeScope();
        var state = module.state_dict();
        using (no_grad())
        {
            state["w1"].fill_(1);
            state["w2"].fill_(2);
        }
        var q = randn(1, 3, 17, 8);
        var k = randn(1, 3, 17, 8);
        var result = module.call(q, k);
        CollectionAssert.AreEqual(new long[] { 1, 3, 16, 8 }, result.shape);
        Assert.IsTrue(result.select(1, 0).allclose(full(16, 8, 2f), atol: 1e-5), "first frame: next only");
        Assert.IsTrue(result.select(1, 1).allclose(full(16, 8, 3f), atol: 1e-5), "middle frame: both");
        Assert.IsTrue(result.select(1, 2).allclose(full(16, 8, 1f), atol: 1e-5), "last frame: previous only");
    }

    [TestMethod]
    public void InterFrameAttention_RelativeOffsetIndex_MatchesModelsMd()
    {
        // With q ≡ 0 the affinity is uniform (1/16); w1 row r = r gives the mean relative index over key positions.
        using var module = new TemporalCrossAttention(grid: 4, width: 1, heads: 1);
        using var scope = NewDisposeScope();
        using (no_grad())
            module.state_dict()["w1"].copy_(arange(49, dtype: float32).view(49, 1));
        var result = module.call(zeros(1, 2, 17, 1), randn(1, 2, 17, 1));
        for (int p = 0; p < 16; p++)
        {
            double expected = 0;
            for (int kq = 0; kq < 16; kq++)
                expected += ((p / 4 - kq / 4 + 3) * 7 + (p % 4 - kq % 4 + 3)) / 16.0;
            Assert.AreEqual(expected, result[0, 1, p, 0].item<float>(), 1e-4, $"patch {p}");
        }
    }
}
