using MLNetVideo.Trainers.S3D;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.S3D;

[TestClass]
[DoNotParallelize]
public sealed class S3DNetworkTests
{
    [TestInitialize]
    public void Seed() => torch.manual_seed(7);

    [TestMethod]
    public void FullWidthS3D_HasTheReferenceParameterCount()
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 400));
        Assert.AreEqual(8_320_048L, network.ParameterCount());
    }

    [TestMethod]
    public void FullWidthS3DG_AddsOneLinearGatePerGatedOutput()
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3DG, numClasses: 400));
        // Gates: Conv2d_2c (192) and the four branch outputs of the nine Inception blocks, each Linear(C, C) with bias.
        long gates = (192L * 192) + 192 + S3DSpecs.InceptionTable
            .SelectMany(w => new long[] { w.Branch0, w.Branch1, w.Branch2, w.Branch3 })
            .Sum(c => (c * c) + c);
        Assert.AreEqual(1_225_008L, gates);   // 1,219,328 weights + 5,680 biases
        Assert.AreEqual(9_545_056L, network.ParameterCount());
        Assert.AreEqual(8_320_048L + gates, network.ParameterCount());
    }

    [TestMethod]
    [DataRow("base.0.conv_s.weight", new long[] { 64, 3, 1, 7, 7 })]
    [DataRow("base.0.conv_t.weight", new long[] { 64, 64, 7, 1, 1 })]
    [DataRow("base.0.bn_t.running_var", new long[] { 64 })]
    [DataRow("base.2.conv.weight", new long[] { 64, 64, 1, 1, 1 })]
    [DataRow("base.3.conv_s.weight", new long[] { 192, 64, 1, 3, 3 })]
    [DataRow("base.5.branch0.0.conv.weight", new long[] { 64, 192, 1, 1, 1 })]
    [DataRow("base.5.branch1.1.conv_s.weight", new long[] { 128, 96, 1, 3, 3 })]
    [DataRow("base.5.branch3.1.conv.weight", new long[] { 32, 192, 1, 1, 1 })]
    [DataRow("base.15.branch2.1.conv_t.weight", new long[] { 128, 128, 3, 1, 1 })]
    [DataRow("fc.0.weight", new long[] { 400, 1024, 1, 1, 1 })]
    [DataRow("fc.0.bias", new long[] { 400 })]
    public void FullWidthS3D_StateDictKeysMatchTheReference(string key, long[] shape)
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 400));
        var stateDict = network.state_dict();
        Assert.IsTrue(stateDict.ContainsKey(key), $"missing {key}");
        CollectionAssert.AreEqual(shape, stateDict[key].shape);
        // Weightless pools keep their indices, so nothing is registered under them.
        foreach (int pool in new[] { 1, 4, 7, 13 })
            Assert.IsFalse(stateDict.Keys.Any(k => k.StartsWith($"base.{pool}.", StringComparison.Ordinal)), $"base.{pool} should be a weightless pool");
        Assert.IsFalse(stateDict.Keys.Any(k => k.Contains("gating", StringComparison.Ordinal)));
    }

    [TestMethod]
    public void FullWidthS3D_HasTheReferenceKeyCount()
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 400));
        var keys = network.state_dict().Keys.ToList();
        // Per BN 5 entries (weight, bias, running_mean, running_var, num_batches_tracked) + 1 conv weight each:
        // stem 3 units (2+1+2 conv/bn pairs), 9 blocks × 8 pairs, plus fc weight and bias.
        int pairs = 2 + 1 + 2 + (9 * 8);
        Assert.AreEqual((pairs * 6) + 2, keys.Count);
    }

    [TestMethod]
    public void FullWidthS3DG_GateKeysFollowTheHowTo100MPort()
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3DG, numClasses: 400));
        var stateDict = network.state_dict();
        CollectionAssert.AreEqual(new long[] { 192, 192 }, stateDict["base.3.gating.fc.weight"].shape);
        CollectionAssert.AreEqual(new long[] { 128, 128 }, stateDict["base.5.gating_b1.fc.weight"].shape);
        CollectionAssert.AreEqual(new long[] { 128 }, stateDict["base.15.gating_b3.fc.bias"].shape);
    }

    [TestMethod]
    public void Macs_S3DAt16x224_MatchTheReferenceFigure()
    {
        long macs = S3DCost.MultiplyAccumulates(S3DSpecs.For(S3DVariant.S3D, 400), 16, 224, 224);
        Assert.AreEqual(17.98, Math.Round(macs / 1e9, 2), $"MACs = {macs}");
        long macs64 = S3DCost.MultiplyAccumulates(S3DSpecs.For(S3DVariant.S3D, 400), 64, 224, 224);
        Assert.AreEqual(71.91, macs64 / 1e9, 0.015, $"MACs = {macs64}");   // models.md: 71.91 (rounding of the same count)
        long gated = S3DCost.MultiplyAccumulates(S3DSpecs.For(S3DVariant.S3DG, 400), 16, 224, 224);
        Assert.AreEqual(macs + 1_219_328L, gated);   // one C×C product per gate and clip
    }

    [TestMethod]
    [DataRow(S3DVariant.S3D)]
    [DataRow(S3DVariant.S3DG)]
    public void Tiny_ForwardGivesLogitsPerClip_AndEvalIsRepeatable(S3DVariant variant)
    {
        // BN momentum 1: one train-mode pass sets the running statistics to this batch's, so eval mode propagates signal
        // (with untouched running statistics a random deep network's output is almost only the classifier bias).
        var spec = S3DSpecs.For(variant, numClasses: 5, widthMultiplier: 0.125) with { BatchNorm = new S3DBatchNorm(1e-3, 1.0) };
        manual_seed(17);
        using var network = new S3DNetwork(spec);
        using var scope = NewDisposeScope();
        var x = randn([2, 3, 8, 32, 32]);
        using (no_grad())
            network.call(x);
        network.eval();
        using var inference = inference_mode();
        var first = network.call(x);
        var second = network.call(x);
        CollectionAssert.AreEqual(new long[] { 2, 5 }, first.shape);
        // Same input, same output: libtorch's multi-threaded CPU kernels may change the last bit, nothing more.
        Assert.IsTrue(first.allclose(second, rtol: 1e-5, atol: 1e-6), $"max |Δ| = {(first - second).abs().max().item<float>()}");
        Assert.IsTrue(first.abs().sum().item<float>() > 0);
        // Different clips give different logits (the input reaches the output).
        Assert.IsFalse(first[0].allclose(first[1]));
    }

    [TestMethod]
    public void Tiny_RejectsClipsSmallerThanTheMinimum()
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 3, widthMultiplier: 0.125));
        using var scope = NewDisposeScope();
        var ex = Assert.ThrowsExactly<ArgumentException>(() => network.call(zeros([1, 3, 4, 32, 32])));
        StringAssert.Contains(ex.Message, "T >= 8");
    }

    [TestMethod]
    [DataRow(S3DVariant.S3D)]
    [DataRow(S3DVariant.S3DG)]
    public void Tiny_GradientsReachEveryParameter(S3DVariant variant)
    {
        using var network = new S3DNetwork(S3DSpecs.For(variant, numClasses: 4, widthMultiplier: 0.125) with { DropoutRate = 0 });
        network.train();
        using var scope = NewDisposeScope();
        var x = randn([3, 3, 8, 32, 32]);
        var y = tensor(new long[] { 0, 1, 3 });
        nn.functional.cross_entropy(network.call(x), y).backward();
        var missing = network.named_parameters()
            .Where(p => p.parameter.grad is null || p.parameter.grad.abs().sum().item<float>() == 0)
            .Select(p => p.name).ToList();
        Assert.AreEqual(0, missing.Count, "no gradient: " + string.Join(", ", missing));
        Assert.IsTrue(network.parameters().Count() > 100);
    }

    [TestMethod]
    public void TopHeavy_UsesTemporalKernelOneBelowTheStartLayer_WithUnchangedNames()
    {
        var spec = S3DSpecs.For(S3DVariant.S3D, numClasses: 4, widthMultiplier: 0.125) with { TemporalStartLayer = 8 };
        using var network = new S3DNetwork(spec);
        var stateDict = network.state_dict();
        Assert.AreEqual(1L, stateDict["base.0.conv_t.weight"].shape[2]);
        Assert.AreEqual(1L, stateDict["base.6.branch1.1.conv_t.weight"].shape[2]);
        Assert.AreEqual(3L, stateDict["base.8.branch1.1.conv_t.weight"].shape[2]);
        using var scope = NewDisposeScope();
        network.eval();
        using var inference = inference_mode();
        CollectionAssert.AreEqual(new long[] { 1, 4 }, network.call(randn([1, 3, 8, 32, 32])).shape);
        Assert.IsTrue(S3DCost.MultiplyAccumulates(spec, 8, 32, 32) < S3DCost.MultiplyAccumulates(spec with { TemporalStartLayer = 0 }, 8, 32, 32));
    }
}
