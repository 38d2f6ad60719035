using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.TemporalClustering;
using MLNetVideo.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Tsm;

[TestClass]
[DoNotParallelize]
public sealed class TsmNetworkTests
{
    [TestInitialize]
    public void Seed() => torch.manual_seed(7);

    internal static TsmSpec Tiny(TsmDepth depth, TsmClustering clustering = TsmClustering.None, int g = 4, int chunk = 0,
        ClusterAggregation aggregation = ClusterAggregation.Sum)
        => new()
        {
            Depth = depth,
            NumClasses = 5,
            WidthMultiplier = 0.25,
            DropoutRate = 0,
            Clustering = clustering,
            ClusterCount = g,
            Aggregation = aggregation,
            ShallowChunkFrames = chunk,
        };

    [TestMethod]
    [DataRow(TsmDepth.ResNet18, 11_689_512L)]
    [DataRow(TsmDepth.ResNet34, 21_797_672L)]
    [DataRow(TsmDepth.ResNet50, 25_557_032L)]
    public void FullWidth_HasTorchvisionParameterCount_ShiftAddsNone(TsmDepth depth, long torchvision)
    {
        // torchvision resnet18/34/50 with 1000 classes; TSM's shift has no parameters.
        using var network = new TsmNetwork(TsmSpecs.For(depth, numClasses: 1000));
        Assert.AreEqual(torchvision, network.ParameterCount());
        long fc = (network.Spec.FeatureChannels * 1000L) + 1000;
        if (depth == TsmDepth.ResNet50)
            Assert.AreEqual(23_508_032L, network.ParameterCount() - fc);   // the "23.5 M" backbone
    }

    [TestMethod]
    [DataRow("conv1.weight", new long[] { 64, 3, 7, 7 })]
    [DataRow("bn1.running_mean", new long[] { 64 })]
    [DataRow("layer1.0.conv1.net.weight", new long[] { 64, 64, 1, 1 })]
    [DataRow("layer1.0.bn1.weight", new long[] { 64 })]
    [DataRow("layer1.0.conv3.weight", new long[] { 256, 64, 1, 1 })]
    [DataRow("layer1.0.downsample.0.weight", new long[] { 256, 64, 1, 1 })]
    [DataRow("layer1.0.downsample.1.running_var", new long[] { 256 })]
    [DataRow("layer2.0.conv2.weight", new long[] { 128, 128, 3, 3 })]
    [DataRow("layer3.5.conv1.net.weight", new long[] { 256, 1024, 1, 1 })]
    [DataRow("layer4.2.bn3.running_var", new long[] { 2048 })]
    [DataRow("fc.weight", new long[] { 400, 2048 })]
    [DataRow("fc.bias", new long[] { 400 })]
    public void FullWidthResNet50_StateDictKeysMatchTsmReference(string key, long[] shape)
    {
        using var network = new TsmNetwork(TsmSpecs.For(TsmDepth.ResNet50, numClasses: 400));
        var stateDict = network.state_dict();
        Assert.IsTrue(stateDict.ContainsKey(key), $"missing {key}");
        CollectionAssert.AreEqual(shape, stateDict[key].shape);
        // 53 convs + 53 batch norms × 5 entries + fc weight and bias, as torchvision's resnet50; every block conv1 is wrapped.
        Assert.AreEqual(320, stateDict.Count);
        Assert.IsFalse(stateDict.Keys.Any(k => k.StartsWith("layer", StringComparison.Ordinal) && k.EndsWith(".conv1.weight", StringComparison.Ordinal)));
        Assert.AreEqual(16, stateDict.Keys.Count(k => k.EndsWith(".conv1.net.weight", StringComparison.Ordinal)));
        Assert.IsFalse(stateDict.ContainsKey("layer1.1.downsample.0.weight"));
    }

    // The reference checkpoint layout is pinned by the golden fixture tsm_r50 (OfficialCheckpointImportTests).
    [TestMethod]
    public void TorchvisionKeys_MapConv1OntoTheShiftWrapper()
    {
        var mapped = TsmWeights.TorchvisionResNet.Apply(new Dictionary<string, TensorData>
        {
            ["conv1.weight"] = TensorData.Zeros(TensorDType.Float32, 1),
            ["layer3.4.conv1.weight"] = TensorData.Zeros(TensorDType.Float32, 1),
            ["layer3.4.conv2.weight"] = TensorData.Zeros(TensorDType.Float32, 1),
        });
        CollectionAssert.AreEquivalent(new[] { "conv1.weight", "layer3.4.conv1.net.weight", "layer3.4.conv2.weight" }, mapped.Tensors.Keys.ToArray());
    }

    [TestMethod]
    [DataRow(TsmDepth.ResNet18, 16)]
    [DataRow(TsmDepth.ResNet50, 64)]
    public void Tiny_ShapesOfLogitsAndShallowActivations(TsmDepth depth, int shallowChannels)
    {
        using var network = new TsmNetwork(Tiny(depth));
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 2, 6, 3, 32, 32 });
        CollectionAssert.AreEqual(new long[] { 2, 5 }, network.call(clips).shape);
        CollectionAssert.AreEqual(new long[] { 12, shallowChannels, 8, 8 }, network.ShallowActivations(clips).shape);
        Assert.AreEqual(shallowChannels, network.Spec.ShallowChannels);
    }

    [TestMethod]
    public void ClusteringPath_EqualsManualClusteringOfLayer1Activations()
    {
        using var network = new TsmNetwork(Tiny(TsmDepth.ResNet18, TsmClustering.Cumulative, g: 3));
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 2, 9, 3, 32, 32 });
        var logits = network.call(clips);
        var shallow = network.ShallowActivations(clips);
        var merged = TorchTemporalClustering.AggregateStacked(shallow, 9, 3, ClusteringMethod.Cumulative, ClusterAggregation.Sum);
        var manual = network.DeepLogits(merged, 3);
        Assert.AreEqual(0.0, logits.sub(manual).abs().max().item<float>(), 1e-6);
        // And clustering matters: the all-frames path gives different logits.
        var unclustered = network.DeepLogits(shallow, 9);
        Assert.IsTrue(logits.sub(unclustered).abs().max().item<float>() > 1e-3);
    }

    [TestMethod]
    public void WithClustering_GradientsReachLayer1Conv1AndEveryFrame()
    {
        using var network = new TsmNetwork(Tiny(TsmDepth.ResNet50, TsmClustering.Slope, g: 2));
        network.train();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 1, 8, 3, 32, 32 }).requires_grad_(true);
        var loss = nn.functional.cross_entropy(network.call(clips), tensor(new long[] { 3 }));
        loss.backward();
        var parameters = network.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in new[] { "conv1.weight", "layer1.0.conv1.net.weight", "layer1.2.conv3.weight", "layer2.0.conv1.net.weight" })
        {
            var grad = parameters[name].grad;
            Assert.IsNotNull(grad, $"{name} has no gradient");
            Assert.IsTrue(grad.abs().sum().item<float>() > 0, $"{name} gradient is zero");
        }
        var perFrame = clips.grad!.abs().sum([0L, 2L, 3L, 4L]);
        Assert.AreEqual(8L, perFrame.shape[0]);
        for (int t = 0; t < 8; t++)
            Assert.IsTrue(perFrame[t].item<float>() > 0, $"frame {t} received no gradient");
    }

    [TestMethod]
    [DataRow(TsmDepth.ResNet18, 3)]
    [DataRow(TsmDepth.ResNet50, 4)]
    public void ChunkedShallowStage_EqualsUnchunked_InEvaluation(TsmDepth depth, int chunk)
    {
        // The reference stores the unchunked first stage; the chunked network takes the (default) online clustering path.
        using var whole = new TsmNetwork(Tiny(depth, TsmClustering.Cumulative, g: 3) with { OnlineClustering = false });
        using var chunked = new TsmNetwork(Tiny(depth, TsmClustering.Cumulative, g: 3, chunk: chunk));
        chunked.load_state_dict(whole.state_dict());
        whole.eval();
        chunked.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // Give the BN running statistics non-trivial values so a wrong halo could not hide behind zeros.
        var clips = randn(new long[] { 2, 11, 3, 32, 32 });
        var expected = whole.ShallowActivations(clips);
        var actual = chunked.ShallowActivations(clips);
        Assert.AreEqual(0.0, expected.sub(actual).abs().max().item<float>(), 1e-5);
        Assert.AreEqual(0.0, whole.call(clips).sub(chunked.call(clips)).abs().max().item<float>(), 1e-5);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(3)]
    public void RecomputedShallowStage_GivesTheSameGradientsAsStoredActivations(int chunk)
    {
        var spec = Tiny(TsmDepth.ResNet50, TsmClustering.Cumulative, g: 3, chunk: chunk) with { OnlineClustering = false };
        using var stored = new TsmNetwork(spec);
        using var recomputed = new TsmNetwork(spec with { RecomputeShallowStage = true });
        recomputed.load_state_dict(stored.state_dict());
        stored.train();
        recomputed.train();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 2, 10, 3, 32, 32 });
        var labels = tensor(new long[] { 1, 4 });
        var lossStored = nn.functional.cross_entropy(stored.call(clips), labels);
        var lossRecomputed = nn.functional.cross_entropy(recomputed.call(clips), labels);
        Assert.AreEqual(lossStored.item<float>(), lossRecomputed.item<float>(), 1e-6f);
        // Only the first stage's output is recorded: its producer is the custom function, not a conv/BN/ReLU chain.
        lossStored.backward();
        lossRecomputed.backward();
        var expected = stored.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        int compared = 0;
        foreach (var (name, parameter) in recomputed.named_parameters())
        {
            Assert.IsNotNull(parameter.grad, $"{name} has no gradient");
            double difference = parameter.grad.sub(expected[name]).abs().max().item<float>();
            double scale = expected[name].abs().max().item<float>();
            Assert.IsTrue(difference <= 1e-4 * Math.Max(1, scale), $"{name}: max |Δgrad| {difference:G3} (scale {scale:G3})");
            compared++;
        }
        Assert.AreEqual(stored.parameters().Count(), compared);
        Assert.IsTrue(recomputed.named_parameters().First(p => p.name == "layer1.0.conv1.net.weight").parameter.grad!.abs().sum().item<float>() > 0);
    }

    [TestMethod]
    public void ChunkedShallowStage_WithoutHalo_WouldDiffer()
    {
        // Guards the halo: shifting inside independent chunks changes frames next to the chunk borders.
        using var network = new TsmNetwork(Tiny(TsmDepth.ResNet18));
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 1, 8, 3, 32, 32 });
        var whole = network.ShallowActivations(clips);
        var halves = cat([network.ShallowActivations(clips.narrow(1, 0, 4)), network.ShallowActivations(clips.narrow(1, 4, 4))], 0);
        Assert.IsTrue(whole.sub(halves).abs().max().item<float>() > 1e-3);
    }

    [TestMethod]
    public void SampledFrames_PicksSegmentCentres()
    {
        CollectionAssert.AreEqual(new long[] { 2, 6, 10, 14, 18, 22, 26, 30 }, TsmSpec.UniformIndices(32, 8));
        CollectionAssert.AreEqual(new long[] { 0, 1, 2 }, TsmSpec.UniformIndices(3, 8));
        using var network = new TsmNetwork(Tiny(TsmDepth.ResNet18) with { SampledFrames = 4 });
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 1, 16, 3, 32, 32 });
        var picked = clips.index_select(1, tensor(new long[] { 2, 6, 10, 14 }));
        Assert.AreEqual(0.0, network.call(clips).sub(network.call(picked)).abs().max().item<float>(), 1e-6);
    }

    [TestMethod]
    public void WrongInputShape_IsRejectedWithTheExpectedLayout()
    {
        using var network = new TsmNetwork(Tiny(TsmDepth.ResNet18));
        using var scope = NewDisposeScope();
        var ex = Assert.ThrowsExactly<ArgumentException>(() => network.call(randn(new long[] { 1, 3, 8, 32, 32 })));
        StringAssert.Contains(ex.Message, "[N, T, 3, H, W]");
    }
}
