using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Tsm;

/// <summary>The online (chunked, recomputed) clustering path of <see cref="TsmNetwork"/> against the stored, unchunked one.</summary>
[TestClass]
[DoNotParallelize]
public sealed class TsmOnlineClusteringTests
{
    [TestInitialize]
    public void Seed() => torch.manual_seed(13);

    private static TsmSpec Spec(TsmDepth depth, TsmClustering clustering, int g, ClusterAggregation aggregation, bool online, int chunk)
        => TsmNetworkTests.Tiny(depth, clustering, g, chunk, aggregation) with { OnlineClustering = online };

    /// <summary>Training mode with every batch norm frozen (evaluation statistics), so that chunking cannot change the
    /// normalisation and the unchunked stored path is an exact reference.</summary>
    private static void TrainWithFrozenBatchNorm(TsmNetwork network)
    {
        network.train();
        foreach (var (_, module) in network.named_modules())
            if (module is BatchNorm norm)
                norm.eval();
    }

    [TestMethod]
    [DataRow(TsmDepth.ResNet18, TsmClustering.Cumulative, ClusterAggregation.Sum, 4, 3)]
    [DataRow(TsmDepth.ResNet50, TsmClustering.Slope, ClusterAggregation.Mean, 3, 4)]
    [DataRow(TsmDepth.ResNet18, TsmClustering.Cumulative, ClusterAggregation.Mean, 16, 5)]   // T < g: frames feed several clusters
    public void OnlineChunkedPath_GivesTheLogitsAndGradientsOfTheUnchunkedPath(TsmDepth depth, TsmClustering clustering,
        ClusterAggregation aggregation, int g, int chunk)
    {
        const int frames = 11;
        using var stored = new TsmNetwork(Spec(depth, clustering, g, aggregation, online: false, chunk: 0));
        using var online = new TsmNetwork(Spec(depth, clustering, g, aggregation, online: true, chunk: chunk));
        online.load_state_dict(stored.state_dict());
        TrainWithFrozenBatchNorm(stored);
        TrainWithFrozenBatchNorm(online);
        using var scope = NewDisposeScope();
        var input = randn(new long[] { 2, frames, 3, 32, 32 });
        var clipsStored = input.clone().requires_grad_(true);
        var clipsOnline = input.clone().requires_grad_(true);
        var labels = tensor(new long[] { 1, 4 });

        var logitsStored = stored.call(clipsStored);
        var logitsOnline = online.call(clipsOnline);
        Assert.AreEqual(0.0, logitsStored.sub(logitsOnline).abs().max().item<float>(), 1e-4);
        nn.functional.cross_entropy(logitsStored, labels).backward();
        nn.functional.cross_entropy(logitsOnline, labels).backward();

        var expected = stored.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, parameter) in online.named_parameters())
        {
            if (!name.StartsWith("conv1.", StringComparison.Ordinal) && !name.StartsWith("bn1.", StringComparison.Ordinal)
                && !name.StartsWith("layer1.", StringComparison.Ordinal))
                continue;
            Assert.IsNotNull(parameter.grad, $"{name} has no gradient");
            AssertClose(expected[name], parameter.grad, name);
        }
        AssertClose(expected["layer4.0.conv2.weight"], online.named_parameters().First(p => p.name == "layer4.0.conv2.weight").parameter.grad!, "layer4");
        AssertClose(clipsStored.grad!, clipsOnline.grad!, "clips");
        Assert.IsTrue(online.named_parameters().First(p => p.name == "conv1.weight").parameter.grad!.abs().sum().item<float>() > 0);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string name)
    {
        double difference = actual.sub(expected).abs().max().item<float>();
        double scale = expected.abs().max().item<float>();
        Assert.IsTrue(scale > 0, $"{name}: the reference gradient is zero");
        Assert.IsTrue(difference <= 1e-4 * scale, $"{name}: max |Δgrad| {difference:G3} (scale {scale:G3})");
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative, 3)]
    [DataRow(ClusteringMethod.Slope, 4)]
    [DataRow(ClusteringMethod.Cumulative, 1)]
    public void OnlineAssignment_EqualsTemporalClustererOnTheSameActivations(ClusteringMethod method, int chunk)
    {
        const int frames = 13, g = 4;
        var clustering = method == ClusteringMethod.Cumulative ? TsmClustering.Cumulative : TsmClustering.Slope;
        using var network = new TsmNetwork(Spec(TsmDepth.ResNet18, clustering, g, ClusterAggregation.Sum, online: true, chunk: chunk));
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // A clip with a few abrupt changes, so the clusters are not uniform.
        var clips = randn(new long[] { 2, 1, 3, 32, 32 }).repeat(1, frames, 1, 1, 1) + (0.3 * randn(new long[] { 2, frames, 3, 32, 32 }));
        clips.narrow(1, 5, 3).add_(2.0);
        clips.narrow(1, 10, 3).mul_(-1.0);

        var online = OnlineClusteredShallowStage.Assign(network, clips);
        var activations = network.ShallowActivations(clips).reshape(2, frames, -1).contiguous();   // unchunked (ShallowChunkFrames only matters online)
        for (int n = 0; n < 2; n++)
        {
            var values = activations[n].data<float>().ToArray();
            var expected = TemporalClusterer.Cluster(values, frames, g, method);
            CollectionAssert.AreEqual(expected, online[n], $"video {n}: {string.Join(", ", online[n])} vs {string.Join(", ", expected)}");
        }
        Assert.IsTrue(online.Any(video => video.Any(c => c.Length != online[0][0].Length)), "uniform clusters would not test the counts");
    }

    [TestMethod]
    public void OnlinePath_InTraining_MatchesTheStoredChunkedPath_IncludingRunningStatistics()
    {
        // Batch norm in training: both paths normalise each chunk (with halo) by its own statistics and update the running
        // statistics once per chunk; the online path's extra passes must leave no trace on them.
        const int chunk = 4;
        using var stored = new TsmNetwork(Spec(TsmDepth.ResNet50, TsmClustering.Cumulative, 3, ClusterAggregation.Sum, online: false, chunk: chunk));
        using var online = new TsmNetwork(Spec(TsmDepth.ResNet50, TsmClustering.Cumulative, 3, ClusterAggregation.Sum, online: true, chunk: chunk));
        online.load_state_dict(stored.state_dict());
        stored.train();
        online.train();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 2, 10, 3, 32, 32 });
        var labels = tensor(new long[] { 0, 2 });
        var lossStored = nn.functional.cross_entropy(stored.call(clips), labels);
        var lossOnline = nn.functional.cross_entropy(online.call(clips), labels);
        Assert.AreEqual(lossStored.item<float>(), lossOnline.item<float>(), 1e-4f);
        lossStored.backward();
        lossOnline.backward();
        var expected = stored.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, parameter) in online.named_parameters())
            AssertClose(expected[name], parameter.grad!, name);
        var expectedBuffers = stored.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        int compared = 0;
        foreach (var (name, buffer) in online.named_buffers())
        {
            Assert.AreEqual(0.0, buffer.to(ScalarType.Float64).sub(expectedBuffers[name].to(ScalarType.Float64)).abs().max().item<double>(), 1e-5, name);
            compared++;
        }
        Assert.IsTrue(compared > 0);
        Assert.AreEqual(3L, online.named_buffers().First(b => b.name == "layer1.0.bn1.num_batches_tracked").buffer.item<long>(), "one update per chunk");
    }
}
