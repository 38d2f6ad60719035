using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo.Tests.Transforms.TemporalClustering;

/// <summary>The pure algorithm on hand-made sequences whose change points and clusters are worked out by hand
/// from models.md §6.3–6.6.</summary>
[TestClass]
public sealed class TemporalClustererTests
{
    private static TemporalCluster[] C(params (int Start, int Length)[] clusters)
        => clusters.Select(c => new TemporalCluster(c.Start, c.Length)).ToArray();

    private static void AssertClusters(TemporalCluster[] expected, TemporalCluster[] actual)
        => CollectionAssert.AreEqual(expected, actual, $"expected {string.Join(" ", expected)}, got {string.Join(" ", actual)}");

    [TestMethod]
    public void PackSigns_SetsExactlyThePositiveValues_AcrossWordsAndTail()
    {
        var frame = new float[70];
        for (int i = 0; i < frame.Length; i++)
            frame[i] = i % 3 == 0 ? 0.5f : -1f;          // positives at 0, 3, 6, ...
        frame[1] = float.NaN;                          // not > 0
        frame[2] = -0f;
        frame[64] = float.Epsilon;                     // tiny but positive
        frame[66] = 0f;
        var words = new ulong[TemporalClusterer.PackedLength(frame.Length)];

        TemporalClusterer.PackSigns(frame, words);

        Assert.AreEqual(2, words.Length);
        for (int i = 0; i < frame.Length; i++)
        {
            bool bit = ((words[i >> 6] >> (i & 63)) & 1) == 1;
            Assert.AreEqual(frame[i] > 0, bit, $"value {i} = {frame[i]}");
        }
        Assert.AreEqual(0UL, words[1] >> 6, "bits past the last value stay 0");
    }

    [TestMethod]
    public void PackSigns_ScalarAndVectorPaths_Agree()
    {
        var random = new Random(5);
        var frame = Enumerable.Range(0, 1000).Select(_ => random.Next(3) switch { 0 => 0f, 1 => -random.NextSingle(), _ => random.NextSingle() }).ToArray();
        var scalar = new ulong[TemporalClusterer.PackedLength(frame.Length)];
        var vector = new ulong[scalar.Length];
        TemporalClusterer.PackSigns(frame, scalar, useVectors: false);
        TemporalClusterer.PackSigns(frame, vector, useVectors: true);
        CollectionAssert.AreEqual(scalar, vector);
        Assert.AreEqual(frame.Count(v => v > 0), scalar.Sum(w => System.Numerics.BitOperations.PopCount(w)));
    }

    [TestMethod]
    public void HammingCounts_CountSignFlipsBetweenConsecutiveFrames()
    {
        const int D = 130;   // two full words and a 2-value tail
        var f0 = Enumerable.Repeat(-1f, D).ToArray();
        var f1 = (float[])f0.Clone();
        f1[0] = f1[1] = f1[2] = 2f;                     // 3 flips in word 0
        f1[128] = f1[129] = 0.25f;                      // 2 flips in the tail
        var f2 = f1.Select(v => v * 3f).ToArray();      // magnitudes change, signs do not
        var f3 = (float[])f2.Clone();
        for (int i = 64; i < 128; i++) f3[i] = 1f;      // a whole word flips
        float[] frames = [.. f0, .. f1, .. f2, .. f3];

        CollectionAssert.AreEqual(new long[] { 5, 0, 64 }, TemporalClusterer.HammingCounts(frames, 4));
        CollectionAssert.AreEqual(new[] { 5.0 / D, 0.0, 64.0 / D }, TemporalClusterer.NormalizedDistances(frames, 4));
    }

    [TestMethod]
    public void Cumulative_UniformChange_SplitsIntoEqualBudgets()
    {
        // D_t = t, total 7, δ = 7/4: frame t is in cluster ⌈4t/7⌉ → {0,1} {2,3} {4,5} {6,7}.
        var clusters = TemporalClusterer.ClusterFromHammingCounts([1, 1, 1, 1, 1, 1, 1], 4, ClusteringMethod.Cumulative);
        AssertClusters(C((0, 2), (2, 2), (4, 2), (6, 2)), clusters);
    }

    [TestMethod]
    public void Cumulative_BudgetUpperBoundIsInclusive()
    {
        // Changes of 4 after frames 1 and 4; D = 0 0 4 4 4 8 8 8, total 8.
        // g = 2, δ = 4: D_t = 4 ≤ δ stays in cluster 1, so the only cut is at the second change.
        AssertClusters(C((0, 5), (5, 3)), TemporalClusterer.ClusterFromHammingCounts([0, 4, 0, 0, 4, 0, 0], 2, ClusteringMethod.Cumulative));
        // g = 3, δ = 8/3: both changes become cuts.
        AssertClusters(C((0, 2), (2, 3), (5, 3)), TemporalClusterer.ClusterFromHammingCounts([0, 4, 0, 0, 4, 0, 0], 3, ClusteringMethod.Cumulative));
    }

    [TestMethod]
    public void Cumulative_ChangeThatSkipsBudgets_KeepsTheCutAndNoClusterIsEmpty()
    {
        // One change of 9 after frame 1, g = 3: frames 2..5 all fall in budget 3, so budget 2 is empty.
        // Cluster 2 takes the first frame after the cut: {0,1} {2} {3,4,5}.
        AssertClusters(C((0, 2), (2, 1), (3, 3)), TemporalClusterer.ClusterFromHammingCounts([0, 9, 0, 0, 0], 3, ClusteringMethod.Cumulative));
        // The same change at the very end: later clusters must still keep a frame each: {0..2} {3} {4}.
        AssertClusters(C((0, 3), (3, 1), (4, 1)), TemporalClusterer.ClusterFromHammingCounts([0, 0, 0, 9], 3, ClusteringMethod.Cumulative));
    }

    [TestMethod]
    public void Slope_CutsAfterTheLargestChanges()
    {
        // Largest changes 7 (after frame 4) and 5 (after frame 1): {0,1} {2,3,4} {5,6,7}.
        AssertClusters(C((0, 2), (2, 3), (5, 3)), TemporalClusterer.ClusterFromHammingCounts([0, 5, 1, 0, 7, 2, 0], 3, ClusteringMethod.Slope));
        // g = 2 keeps only the largest.
        AssertClusters(C((0, 5), (5, 3)), TemporalClusterer.ClusterFromHammingCounts([0, 5, 1, 0, 7, 2, 0], 2, ClusteringMethod.Slope));
    }

    [TestMethod]
    public void Slope_Ties_EarliestPositionWins()
    {
        // All changes equal: the two earliest positions win → {0} {1} {2,3,4}.
        AssertClusters(C((0, 1), (1, 1), (2, 3)), TemporalClusterer.ClusterFromHammingCounts([3, 3, 3, 3], 3, ClusteringMethod.Slope));
        // Changes 1, 2, 9, 2, 0: cut after frame 2 (9), then the earlier of the two 2s (after frame 1, not frame 3).
        AssertClusters(C((0, 2), (2, 1), (3, 3)), TemporalClusterer.ClusterFromHammingCounts([1, 2, 9, 2, 0], 3, ClusteringMethod.Slope));
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void StaticVideo_FallsBackToUniformSegments(ClusteringMethod method)
    {
        // No bit changes: cluster k starts at ⌊k·10/4⌋ = 0, 2, 5, 7.
        var frames = Enumerable.Repeat(0.3f, 10 * 5).ToArray();
        AssertClusters(C((0, 2), (2, 3), (5, 2), (7, 3)), TemporalClusterer.Cluster(frames, 10, 4, method));
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void FewerFramesThanClusters_RepeatsFramesEvenlyInOrder(ClusteringMethod method)
    {
        var frames = new float[] { 1, -1, 1 };   // T = 3, D = 1, with changes
        var clusters = TemporalClusterer.Cluster(frames, 3, 8, method);
        // Cluster k is frame ⌊3k/8⌋.
        CollectionAssert.AreEqual(new[] { 0, 0, 0, 1, 1, 1, 2, 2 }, clusters.Select(c => c.Start).ToArray());
        Assert.IsTrue(clusters.All(c => c.Length == 1));

        var single = TemporalClusterer.Cluster(new float[] { 5, 6 }, 1, 3, method);   // T = 1, D = 2
        AssertClusters(C((0, 1), (0, 1), (0, 1)), single);
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void EqualFramesAndClusters_OneFramePerCluster(ClusteringMethod method)
        => AssertClusters(C((0, 1), (1, 1), (2, 1), (3, 1)), TemporalClusterer.ClusterFromHammingCounts([5, 0, 0], 4, method));

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void OneCluster_HoldsEveryFrame(ClusteringMethod method)
        => AssertClusters(C((0, 6)), TemporalClusterer.ClusterFromHammingCounts([1, 4, 0, 2, 9], 1, method));

    [TestMethod]
    public void Cluster_OnFrames_FindsTheHandMadeChangePoints()
    {
        // 6 frames of 2 values. Sign patterns: ++ ++ -+ -+ +- +-: changes 0, 1, 0, 2, 0.
        float[] frames = [1, 1, 2, 1, -1, 3, -2, 4, 5, -1, 6, -2];
        CollectionAssert.AreEqual(new long[] { 0, 1, 0, 2, 0 }, TemporalClusterer.HammingCounts(frames, 6));
        // Cumulative, g = 2: D = 0 0 1 1 3 3, δ = 1.5 → {0..3} {4,5}. Slope, g = 3: cuts after frames 3 and 1.
        AssertClusters(C((0, 4), (4, 2)), TemporalClusterer.Cluster(frames, 6, 2, ClusteringMethod.Cumulative));
        AssertClusters(C((0, 2), (2, 2), (4, 2)), TemporalClusterer.Cluster(frames, 6, 3, ClusteringMethod.Slope));
    }

    [TestMethod]
    public void Aggregate_SumAndMean_GiveTheHandComputedValues()
    {
        float[] frames = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];   // T = 5, D = 2
        var clusters = C((0, 2), (2, 3));
        var sum = new float[4];
        var mean = new float[4];

        TemporalClusterer.Aggregate(frames, 5, clusters, ClusterAggregation.Sum, sum);
        TemporalClusterer.Aggregate(frames, 5, clusters, ClusterAggregation.Mean, mean);

        CollectionAssert.AreEqual(new float[] { 4, 6, 21, 24 }, sum);
        CollectionAssert.AreEqual(new float[] { 2, 3, 7, 8 }, mean);
    }

    [TestMethod]
    public void Aggregate_LongFrames_UseTheVectorPathAndTheTail()
    {
        const int D = 37;   // not a multiple of any vector width
        var frames = Enumerable.Range(0, 3 * D).Select(i => (float)i).ToArray();
        var result = TemporalClusterer.ClusterAndAggregate(frames, 3, 1, ClusteringMethod.Cumulative, ClusterAggregation.Mean);
        // Mean of i, i + D, i + 2D is i + D.
        CollectionAssert.AreEqual(Enumerable.Range(0, D).Select(i => (float)(i + D)).ToArray(), result);
    }

    [TestMethod]
    public void ClusterAndAggregate_FewerFramesThanClusters_RepeatsFrames()
    {
        float[] frames = [1, 10, -2, 20];   // T = 2, D = 2
        var result = TemporalClusterer.ClusterAndAggregate(frames, 2, 4, ClusteringMethod.Slope, ClusterAggregation.Sum);
        CollectionAssert.AreEqual(new float[] { 1, 10, 1, 10, -2, 20, -2, 20 }, result);
    }

    [TestMethod]
    public void InvalidArguments_AreRejectedWithClearMessages()
    {
        var frames = new float[12];
        var e1 = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TemporalClusterer.Cluster(frames, 4, 0, ClusteringMethod.Slope));
        StringAssert.Contains(e1.Message, "cluster count must be positive; got 0");
        var e2 = Assert.ThrowsExactly<ArgumentException>(() => TemporalClusterer.Cluster(frames, 5, 2, ClusteringMethod.Slope));
        StringAssert.Contains(e2.Message, "12 values cannot be split into 5 frames");
        var e3 = Assert.ThrowsExactly<ArgumentException>(() => TemporalClusterer.ClusterFromHammingCounts([1, -1], 2, ClusteringMethod.Cumulative));
        StringAssert.Contains(e3.Message, "got -1");
        var e4 = Assert.ThrowsExactly<ArgumentException>(
            () => TemporalClusterer.Aggregate(frames, 4, C((0, 2), (3, 2)), ClusterAggregation.Sum, new float[6]));
        StringAssert.Contains(e4.Message, "outside frames 0..3");
    }
}
