using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo.Tests.Transforms.TemporalClustering;

/// <summary>Invariants over 200 seeded random sequences (T 1–40, g 1–12, D 1–150, with static stretches and
/// scene cuts), each checked against an independent, deliberately naive reading of models.md §6.3–6.5.</summary>
[TestClass]
public sealed class TemporalClustererPropertyTests
{
    private const int Cases = 200;

    private sealed record Case(int Seed, float[] Frames, int T, int D, int G);

    private static IEnumerable<Case> RandomCases()
    {
        for (int seed = 0; seed < Cases; seed++)
        {
            var random = new Random(unchecked(seed * 1_000_003 + 17));
            int t = random.Next(1, 41), d = random.Next(1, 151), g = random.Next(1, 13);
            var frames = new float[t * d];
            var current = new float[d];
            for (int i = 0; i < d; i++) current[i] = (float)(random.NextDouble() * 2 - 1);
            for (int f = 0; f < t; f++)
            {
                double kind = random.NextDouble();
                if (kind < 0.1)
                    for (int i = 0; i < d; i++) current[i] = (float)(random.NextDouble() * 2 - 1);        // scene cut
                else if (kind < 0.6)
                    for (int i = 0; i < d; i++) current[i] += (float)(random.NextDouble() - 0.5) * 0.3f;  // drift
                // else: static frame (same signs, same values)
                for (int i = 0; i < d; i++)
                    frames[f * d + i] = random.NextDouble() < 0.05 ? 0f : current[i];                     // some exact zeros
            }
            yield return new Case(seed, frames, t, d, g);
        }
    }

    /// <summary>Naive Hamming counts: compare every value's "&gt; 0" directly.</summary>
    private static long[] NaiveCounts(Case c)
    {
        var counts = new long[c.T - 1];
        for (int f = 0; f + 1 < c.T; f++)
            for (int i = 0; i < c.D; i++)
                if (c.Frames[f * c.D + i] > 0 != c.Frames[(f + 1) * c.D + i] > 0) counts[f]++;
        return counts;
    }

    [TestMethod]
    public void HammingCounts_EqualNaiveSignComparison()
    {
        foreach (var c in RandomCases())
            CollectionAssert.AreEqual(NaiveCounts(c), TemporalClusterer.HammingCounts(c.Frames, c.T), $"seed {c.Seed}");
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void Clusters_AreExactlyG_InOrder_NonEmpty_AndCoverEveryFrame(ClusteringMethod method)
    {
        int partitions = 0, repeats = 0;
        foreach (var c in RandomCases())
        {
            var clusters = TemporalClusterer.Cluster(c.Frames, c.T, c.G, method);
            string where = $"seed {c.Seed} (T={c.T}, g={c.G}): {string.Join(" ", clusters)}";
            Assert.AreEqual(c.G, clusters.Length, where);
            Assert.IsTrue(clusters.All(k => k.Length >= 1 && k.Start >= 0 && k.End <= c.T), where);
            if (c.T >= c.G)
            {
                partitions++;
                Assert.AreEqual(0, clusters[0].Start, where);
                for (int k = 1; k < c.G; k++)
                    Assert.AreEqual(clusters[k - 1].End, clusters[k].Start, where);   // contiguous, strictly increasing
                Assert.AreEqual(c.T, clusters[^1].End, where);
            }
            else
            {
                repeats++;
                CollectionAssert.AreEqual(Enumerable.Range(0, c.G).Select(k => k * c.T / c.G).ToArray(), clusters.Select(k => k.Start).ToArray(), where);
                CollectionAssert.AreEquivalent(Enumerable.Range(0, c.T).ToArray(), clusters.Select(k => k.Start).Distinct().ToArray(), where);
            }
        }
        Assert.IsGreaterThan(100, partitions, "enough T ≥ g cases");
        Assert.IsGreaterThan(10, repeats, "enough T < g cases");
    }

    [TestMethod]
    public void Cumulative_MatchesTheBudgetRule_WheneverNoBudgetIsSkipped()
    {
        int checkedCases = 0;
        foreach (var c in RandomCases())
        {
            if (c.T < c.G) continue;
            var counts = NaiveCounts(c);
            long total = counts.Sum();
            var actual = TemporalClusterer.Cluster(c.Frames, c.T, c.G, ClusteringMethod.Cumulative);
            if (total == 0)
            {
                CollectionAssert.AreEqual(Enumerable.Range(0, c.G).Select(k => k * c.T / c.G).ToArray(), actual.Select(k => k.Start).ToArray(), $"seed {c.Seed}");
                continue;
            }
            // Reference: frame t is in 1-based cluster k iff (k−1)·δ < D_t ≤ k·δ, δ = total/g (times g to stay in integers);
            // frame 0 and frames with D_t = 0 are in cluster 1.
            var label = new int[c.T];
            long d = 0;
            for (int t = 0; t < c.T; t++)
            {
                if (t > 0) d += counts[t - 1];
                label[t] = 1;
                for (int k = 1; k <= c.G; k++)
                    if ((k - 1) * total < c.G * d && c.G * d <= k * total) label[t] = k;
            }
            if (label.Distinct().Count() != c.G) continue;   // a skipped budget: the repair rule applies (hand-made tests)
            checkedCases++;
            var expected = Enumerable.Range(1, c.G).Select(k => new TemporalCluster(Array.IndexOf(label, k), label.Count(l => l == k))).ToArray();
            CollectionAssert.AreEqual(expected, actual, $"seed {c.Seed}");
        }
        Assert.IsGreaterThan(50, checkedCases);
    }

    [TestMethod]
    public void Slope_MatchesTheLargestChangesRule()
    {
        foreach (var c in RandomCases())
        {
            if (c.T <= c.G || c.G == 1) continue;
            var counts = NaiveCounts(c);
            var actual = TemporalClusterer.Cluster(c.Frames, c.T, c.G, ClusteringMethod.Slope);
            if (counts.All(v => v == 0))
                continue;   // static: uniform segments (checked in TemporalClustererTests)
            var cuts = counts.Select((v, p) => (v, p)).OrderByDescending(x => x.v).ThenBy(x => x.p).Take(c.G - 1).Select(x => x.p).Order().ToArray();
            CollectionAssert.AreEqual(new[] { 0 }.Concat(cuts.Select(p => p + 1)).ToArray(), actual.Select(k => k.Start).ToArray(), $"seed {c.Seed}");
        }
    }

    [TestMethod]
    [DataRow(ClusteringMethod.Cumulative)]
    [DataRow(ClusteringMethod.Slope)]
    public void SumAggregation_PreservesTheTotal_AndMeanTimesLengthIsTheSum(ClusteringMethod method)
    {
        foreach (var c in RandomCases())
        {
            var clusters = TemporalClusterer.Cluster(c.Frames, c.T, c.G, method);
            var sum = new float[c.G * c.D];
            var mean = new float[c.G * c.D];
            TemporalClusterer.Aggregate(c.Frames, c.T, clusters, ClusterAggregation.Sum, sum);
            TemporalClusterer.Aggregate(c.Frames, c.T, clusters, ClusterAggregation.Mean, mean);
            for (int i = 0; i < c.D; i++)
            {
                double expected = 0, actual = 0;
                for (int k = 0; k < c.G; k++)
                {
                    foreach (int t in Enumerable.Range(clusters[k].Start, clusters[k].Length)) expected += c.Frames[t * c.D + i];
                    actual += sum[k * c.D + i];
                    Assert.AreEqual(sum[k * c.D + i], mean[k * c.D + i] * clusters[k].Length, 1e-4, $"seed {c.Seed} cluster {k}");
                }
                Assert.AreEqual(expected, actual, 1e-4, $"seed {c.Seed} value {i}");
                if (c.T >= c.G)
                {
                    double all = Enumerable.Range(0, c.T).Sum(t => (double)c.Frames[t * c.D + i]);
                    Assert.AreEqual(all, actual, 1e-4, $"seed {c.Seed} value {i}: the clusters' sums add up to all frames");
                }
            }
        }
    }
}
