using System.Diagnostics;
using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo.Tests.Transforms.TemporalClustering;

/// <summary>Micro-benchmark of the pure clusterer on one long video (T = 512 frames of D = 2048 features), as the
/// transform runs it per row. Prints milliseconds per video; run with <c>-c Release</c> for numbers worth quoting.</summary>
[TestClass]
public sealed class TemporalClustererBenchmarkTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod, TestCategory("Benchmark")]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void ClusterAndAggregate_T512_D2048(ClusteringMethod method)
    {
        const int T = 512, D = 2048, G = 16, Repeats = 10;
        var random = new Random(11);
        var frames = new float[T * D];
        for (int i = 0; i < frames.Length; i++)
            frames[i] = random.NextSingle() - 0.45f;
        var output = new float[G * D];

        var clusters = TemporalClusterer.Cluster(frames, T, G, method);
        for (int w = 0; w < 3; w++)   // warm-up (JIT tiers)
            TemporalClusterer.Aggregate(frames, T, TemporalClusterer.Cluster(frames, T, G, method), ClusterAggregation.Mean, output);
        var watch = Stopwatch.StartNew();
        for (int r = 0; r < Repeats; r++)
        {
            clusters = TemporalClusterer.Cluster(frames, T, G, method);
            TemporalClusterer.Aggregate(frames, T, clusters, ClusterAggregation.Mean, output);
        }
        watch.Stop();
        double perVideo = watch.Elapsed.TotalMilliseconds / Repeats;
        TestContext.WriteLine($"{method}: {perVideo:F2} ms per video (T={T}, D={D}, g={G}, Mean)");

        Assert.AreEqual(G, clusters.Length);
        Assert.AreEqual(0, clusters[0].Start);
        Assert.AreEqual(T, clusters.Sum(c => c.Length));
        Assert.AreEqual(T, clusters[^1].End);
    }
}
