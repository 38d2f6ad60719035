using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Transforms.TemporalClustering;

/// <summary>The tensor version: same clusters and values as the span version, gradients reach every frame
/// through the aggregation and nothing flows through the assignment.</summary>
[TestClass, DoNotParallelize]
public sealed class TorchTemporalClusteringTests
{
    [TestInitialize]
    public void Seed() => manual_seed(7);

    /// <summary>[N, T, C, H, W] with scene cuts, static stretches and drift, so clusters are uneven.</summary>
    private static Tensor Activations(int videos, int frames, long c = 2, long h = 3, long w = 3)
    {
        using var scope = NewDisposeScope();
        long[] shape = [videos, frames, c, h, w];
        long[] perFrame = [videos, frames, 1, 1, 1];
        var steps = randn(shape) * 0.3;
        var cuts = (rand(perFrame) < 0.2).to(ScalarType.Float32) * randn(shape) * 3;
        var still = (rand(perFrame) < 0.3).to(ScalarType.Float32);
        return (steps * (1 - still) + cuts).cumsum(1).MoveToOuterDisposeScope();
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative, ClusterAggregation.Sum)]
    [DataRow(ClusteringMethod.Cumulative, ClusterAggregation.Mean)]
    [DataRow(ClusteringMethod.Slope, ClusterAggregation.Sum)]
    [DataRow(ClusteringMethod.Slope, ClusterAggregation.Mean)]
    public void Aggregate_MatchesTheSpanClusterer_VideoByVideo(ClusteringMethod method, ClusterAggregation aggregation)
    {
        using var scope = NewDisposeScope();
        const int N = 3, T = 12, G = 4;
        var x = Activations(N, T);
        var clusters = TorchTemporalClustering.Assign(x, G, method);
        var output = TorchTemporalClustering.Aggregate(x, G, method, aggregation);

        CollectionAssert.AreEqual(new long[] { N, G, 2, 3, 3 }, output.shape);
        var values = x.data<float>().ToArray();
        var actual = output.data<float>().ToArray();
        int perVideo = T * 18;
        bool uneven = false;
        for (int n = 0; n < N; n++)
        {
            var frames = values.AsSpan(n * perVideo, perVideo);
            CollectionAssert.AreEqual(TemporalClusterer.Cluster(frames, T, G, method), clusters[n], $"video {n}");
            uneven |= clusters[n].Select(c => c.Length).Distinct().Count() > 1;
            var expected = TemporalClusterer.ClusterAndAggregate(frames, T, G, method, aggregation);
            for (int i = 0; i < expected.Length; i++)
                Assert.AreEqual(expected[i], actual[n * G * 18 + i], 1e-4f, $"video {n} value {i}");
        }
        Assert.IsTrue(uneven, "the data should give clusters of different lengths");
    }

    [TestMethod]
    [DataRow(ClusterAggregation.Sum)]
    [DataRow(ClusterAggregation.Mean)]
    public void Backward_GivesEveryFrameItsClustersGradient(ClusterAggregation aggregation)
    {
        using var scope = NewDisposeScope();
        const int N = 2, T = 10, G = 3;
        var x = Activations(N, T).detach().requires_grad_(true);
        var clusters = TorchTemporalClustering.Assign(x, G, ClusteringMethod.Cumulative);
        var output = TorchTemporalClustering.Aggregate(x, G, ClusteringMethod.Cumulative, aggregation);
        Assert.IsTrue(output.requires_grad);
        var weights = randn([N, G, 2, 3, 3]);
        (output * weights).sum().backward();

        var grad = x.grad!.data<float>().ToArray();
        var w = weights.data<float>().ToArray();
        for (int n = 0; n < N; n++)
            for (int k = 0; k < G; k++)
            {
                var cluster = clusters[n][k];
                float scale = aggregation == ClusterAggregation.Mean ? 1f / cluster.Length : 1f;
                for (int t = cluster.Start; t < cluster.End; t++)
                    for (int i = 0; i < 18; i++)
                    {
                        float g = grad[(n * T + t) * 18 + i];
                        Assert.AreNotEqual(0f, g, $"video {n} frame {t}");
                        // d(sum)/d(frame) = 1 and d(mean)/d(frame) = 1/length: nothing else, nothing through the assignment.
                        Assert.AreEqual(w[(n * G + k) * 18 + i] * scale, g, 1e-6f, $"video {n} frame {t} value {i}");
                    }
            }
    }

    [TestMethod]
    public void Assign_RecordsNothingForAutograd_AndLeavesTheInputUnchanged()
    {
        using var scope = NewDisposeScope();
        var x = Activations(1, 8).detach().requires_grad_(true);
        var before = x.detach().clone();
        var clusters = TorchTemporalClustering.Assign(x, 3, ClusteringMethod.Slope);
        Assert.AreEqual(3, clusters[0].Length);
        Assert.IsNull(x.grad);
        Assert.IsTrue(x.detach().equal(before).all().item<bool>());
    }

    [TestMethod]
    public void FewerFramesThanClusters_RepeatsFrames_AndSumsTheirGradients()
    {
        using var scope = NewDisposeScope();
        var x = arange(1f, 7f).reshape(1, 3, 2).requires_grad_(true);   // T = 3 frames of 2 values
        var output = TorchTemporalClustering.Aggregate(x, 5, ClusteringMethod.Cumulative, ClusterAggregation.Mean);
        // Cluster k is frame ⌊3k/5⌋: 0, 0, 1, 1, 2.
        CollectionAssert.AreEqual(new float[] { 1, 2, 1, 2, 3, 4, 3, 4, 5, 6 }, output.data<float>().ToArray());
        output.sum().backward();
        CollectionAssert.AreEqual(new float[] { 2, 2, 2, 2, 1, 1 }, x.grad!.data<float>().ToArray());
    }

    [TestMethod]
    public void OneFramePerCluster_ReturnsACopy_NotAViewOfTheInput()
    {
        using var scope = NewDisposeScope();
        var x = arange(1f, 7f).reshape(1, 3, 2);
        var output = TorchTemporalClustering.Aggregate(x, 3, ClusteringMethod.Slope, ClusterAggregation.Sum);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, output.data<float>().ToArray());
        output.add_(10);
        CollectionAssert.AreEqual(new float[] { 1, 2, 3, 4, 5, 6 }, x.data<float>().ToArray());
    }

    [TestMethod]
    public void AggregateStacked_OnNTimesTRows_EqualsTheGroupedLayout()
    {
        using var scope = NewDisposeScope();
        const int N = 2, T = 9, G = 3;
        var grouped = Activations(N, T, c: 4, h: 2, w: 2);
        var stacked = grouped.reshape(N * T, 4, 2, 2);
        var fromStacked = TorchTemporalClustering.AggregateStacked(stacked, T, G, ClusteringMethod.Cumulative, ClusterAggregation.Sum);
        var fromGrouped = TorchTemporalClustering.Aggregate(grouped, G, ClusteringMethod.Cumulative, ClusterAggregation.Sum);
        CollectionAssert.AreEqual(new long[] { N * G, 4, 2, 2 }, fromStacked.shape);
        Assert.IsTrue(fromStacked.equal(fromGrouped.reshape(N * G, 4, 2, 2)).all().item<bool>());

        var e = Assert.ThrowsExactly<ArgumentException>(
            () => TorchTemporalClustering.AggregateStacked(stacked, 4, G, ClusteringMethod.Cumulative, ClusterAggregation.Sum));
        StringAssert.Contains(e.Message, "must be a multiple of framesPerVideo (4)");
    }

    [TestMethod]
    public void Aggregate_CreatesNoLeakedTensors()
    {
        using var input = Activations(2, 10);
        TorchTemporalClustering.Aggregate(input, 3, ClusteringMethod.Slope, ClusterAggregation.Mean).Dispose();   // warm-up
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 5; i++)
            TorchTemporalClustering.Aggregate(input, 3, ClusteringMethod.Slope, ClusterAggregation.Mean).Dispose();
        Assert.AreEqual(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount, DisposeScopeManager.Statistics.ToString());
    }
}
