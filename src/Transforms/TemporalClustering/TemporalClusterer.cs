using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>
/// The temporal clustering of "No frame left behind: Full Video Action Recognition" (Liu, Pintea,
/// Karimi Nejadasl, Booij, van Gemert, CVPR 2021) on plain <see cref="float"/> spans: binarise each frame,
/// measure the change between consecutive frames, cut the sequence into exactly g contiguous clusters and merge
/// each cluster into one pseudo-frame. Pure, allocation-light, no I/O and no torch; O(T·D) for T frames of D values.
/// </summary>
/// <remarks>
/// <para><b>Layout.</b> A sequence is a span of T·D values, frame after frame (row-major [T, D]).</para>
/// <para><b>Binarisation and distance ("No Frame Left Behind", CVPR 2021).</b> Value i of frame t becomes bit <c>frame[i] &gt; 0</c>
/// (NaN, zero and −0 give 0), packed 64 to a <see cref="ulong"/>. The distance between frames t and t+1 is the number
/// of differing bits (<see cref="BitOperations.PopCount(ulong)"/> of the XOR), which divided by D is SciPy's normalised
/// Hamming distance d_t. Dividing by D changes no cluster, so clustering works on the exact integer counts, and ties
/// and budgets are decided without rounding.</para>
/// <para><b>Cumulative clustering ("No Frame Left Behind", CVPR 2021).</b> With D_0 = 0 and D_t = Σ_{j&lt;t} d_j, and the budget
/// δ = D_{T−1} / g, frame t belongs to cluster k (1-based) iff (k−1)·δ &lt; D_t ≤ k·δ; frame 0, and every frame with
/// D_t = 0, belongs to cluster 1. Unlike the reference code, the trailing cluster is emitted and no output is padded.
/// When one change is so large that D jumps over whole budgets, the skipped clusters would be empty; each cluster
/// start is then moved to the nearest position that keeps all starts strictly increasing (an empty cluster takes the
/// first frame of the next one, and a start is capped so every later cluster keeps at least one frame). The cut at the
/// large change is therefore kept, and the result always has exactly g non-empty clusters.</para>
/// <para><b>Slope clustering ("No Frame Left Behind", CVPR 2021).</b> The boundaries are the positions p of the g−1 largest d_p (ties:
/// the earliest position wins), sorted ascending; the clusters are [0..p₁], [p₁+1..p₂], …, [p_{g−1}+1..T−1].</para>
/// <para><b>Static videos.</b> When no bit changes anywhere (total distance 0), both methods return g uniform segments
/// (cluster k starts at ⌊k·T/g⌋). The reference code returns the first g frames instead, which would drop every later
/// frame; uniform segments keep every frame.</para>
/// <para><b>Fewer frames than clusters (T &lt; g).</b> Cluster k is the single frame ⌊k·T/g⌋: frames are repeated evenly
/// in order, as TSN-style samplers do for short videos, so every frame appears at least once, the output keeps its
/// temporal order and no cluster is an artificial zero. The clusters then overlap, so a <see cref="ClusterAggregation.Sum"/>
/// over clusters no longer equals the sum over frames. T = g gives one frame per cluster for both methods.</para>
/// <para><b>Gradient.</b> The assignment is integer bookkeeping from binarised values; nothing here is differentiable.
/// <see cref="TorchTemporalClustering"/> applies the same assignment to tensors and lets gradients flow through the sum
/// or mean only.</para>
/// </remarks>
public static class TemporalClusterer
{
    /// <summary>Number of <see cref="ulong"/> words that hold the packed signs of a frame.</summary>
    /// <param name="featureLength">Values per frame (D).</param>
    /// <returns>⌈D / 64⌉.</returns>
    public static int PackedLength(int featureLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(featureLength);
        return (int)(((long)featureLength + 63) >> 6);
    }

    /// <summary>Packs the binarised frame: bit i (bit i mod 64 of word i / 64) is <c>frame[i] &gt; 0</c>; unused high bits of
    /// the last word are 0.</summary>
    /// <param name="frame">One frame's D values.</param>
    /// <param name="destination">At least <see cref="PackedLength"/>(D) words.</param>
    public static void PackSigns(ReadOnlySpan<float> frame, Span<ulong> destination)
        => PackSigns(frame, destination, Vector256.IsHardwareAccelerated);

    /// <summary><see cref="PackSigns(ReadOnlySpan{float}, Span{ulong})"/> with the SIMD path switchable, so tests cover both paths.</summary>
    internal static void PackSigns(ReadOnlySpan<float> frame, Span<ulong> destination, bool useVectors)
    {
        int words = PackedLength(frame.Length);
        if (destination.Length < words)
            throw new ArgumentException($"The destination holds {destination.Length} words; a frame of {frame.Length} values needs {words}.", nameof(destination));
        int fullWords = frame.Length >> 6;
        int word = 0;
        if (useVectors)
        {
            ref float start = ref MemoryMarshal.GetReference(frame);
            for (; word < fullWords; word++)
            {
                nuint offset = (nuint)(word << 6);
                ulong bits = 0;
                for (int lane = 0; lane < 8; lane++)
                {
                    var values = Vector256.LoadUnsafe(ref start, offset + (nuint)(lane << 3));
                    bits |= (ulong)Vector256.GreaterThan(values, Vector256<float>.Zero).ExtractMostSignificantBits() << (lane << 3);
                }
                destination[word] = bits;
            }
        }
        for (; word < words; word++)
        {
            int offset = word << 6;
            int count = Math.Min(64, frame.Length - offset);
            ulong bits = 0;
            for (int i = 0; i < count; i++)
                if (frame[offset + i] > 0f)
                    bits |= 1UL << i;
            destination[word] = bits;
        }
    }

    /// <summary>Number of bits that differ between two packed frames (the unnormalised Hamming distance).</summary>
    /// <param name="a">Packed frame.</param>
    /// <param name="b">Packed frame of the same length.</param>
    /// <returns>The count of differing bits.</returns>
    public static long CountDifferingBits(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Packed frames differ in length ({a.Length} and {b.Length} words).", nameof(b));
        long count = 0;
        for (int i = 0; i < a.Length; i++)
            count += BitOperations.PopCount(a[i] ^ b[i]);
        return count;
    }

    /// <summary>For each pair of consecutive frames, the number of values whose sign bit (&gt; 0) differs.</summary>
    /// <param name="frames">T·D values, frame after frame.</param>
    /// <param name="frameCount">T.</param>
    /// <returns>T − 1 counts; count t compares frames t and t + 1.</returns>
    public static long[] HammingCounts(ReadOnlySpan<float> frames, int frameCount)
    {
        CheckFrames(frames, frameCount);
        var counts = new long[frameCount - 1];
        HammingCounts(frames, frameCount, counts);
        return counts;
    }

    /// <summary>The normalised Hamming distances d_t (fraction of differing sign bits, in [0, 1]) between consecutive frames.</summary>
    /// <param name="frames">T·D values, frame after frame.</param>
    /// <param name="frameCount">T.</param>
    /// <returns>T − 1 distances; distance t compares frames t and t + 1.</returns>
    public static double[] NormalizedDistances(ReadOnlySpan<float> frames, int frameCount)
    {
        int featureLength = CheckFrames(frames, frameCount);
        var counts = HammingCounts(frames, frameCount);
        return Array.ConvertAll(counts, c => (double)c / featureLength);
    }

    /// <summary>Cuts T frames into exactly <paramref name="clusterCount"/> clusters, in order (see the class remarks
    /// for the rules, the static-video case and T &lt; g).</summary>
    /// <param name="frames">T·D values, frame after frame.</param>
    /// <param name="frameCount">T, at least 1; the span length must be a multiple of it.</param>
    /// <param name="clusterCount">g, at least 1.</param>
    /// <param name="method">The clustering method.</param>
    /// <returns>g clusters. When T ≥ g they are non-empty, contiguous, in order and cover every frame exactly once.</returns>
    public static TemporalCluster[] Cluster(ReadOnlySpan<float> frames, int frameCount, int clusterCount, ClusteringMethod method)
    {
        CheckFrames(frames, frameCount);
        CheckClustering(clusterCount, method);
        if (frameCount <= clusterCount || clusterCount == 1)
            return ClusterFromHammingCounts(new long[frameCount - 1], clusterCount, method);
        long[] counts = ArrayPool<long>.Shared.Rent(frameCount - 1);
        try
        {
            var span = counts.AsSpan(0, frameCount - 1);
            HammingCounts(frames, frameCount, span);
            return ClusterFromHammingCounts(span, clusterCount, method);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(counts);
        }
    }

    /// <summary>Cuts T = <paramref name="hammingCounts"/>.Length + 1 frames into clusters from precomputed distances (for
    /// example counted on a GPU). Only the ratios of the values matter, so unnormalised counts and normalised distances
    /// cluster identically; counts are exact, so ties are decided without rounding.</summary>
    /// <param name="hammingCounts">T − 1 non-negative changes between consecutive frames.</param>
    /// <param name="clusterCount">g, at least 1.</param>
    /// <param name="method">The clustering method.</param>
    /// <returns>g clusters, as for <see cref="Cluster"/>.</returns>
    public static TemporalCluster[] ClusterFromHammingCounts(ReadOnlySpan<long> hammingCounts, int clusterCount, ClusteringMethod method)
    {
        CheckClustering(clusterCount, method);
        int frameCount = hammingCounts.Length + 1;
        var clusters = new TemporalCluster[clusterCount];
        if (frameCount <= clusterCount)
        {
            for (int k = 0; k < clusterCount; k++)
                clusters[k] = new TemporalCluster((int)((long)k * frameCount / clusterCount), 1);
            return clusters;
        }

        long total = 0;
        foreach (long count in hammingCounts)
        {
            if (count < 0)
                throw new ArgumentException($"Hamming counts must be zero or positive; got {count}.", nameof(hammingCounts));
            total = checked(total + count);
        }

        var starts = new int[clusterCount];
        if (total == 0 || clusterCount == 1)
            UniformStarts(frameCount, starts);
        else if (method == ClusteringMethod.Cumulative)
            CumulativeStarts(hammingCounts, total, starts);
        else
            SlopeStarts(hammingCounts, starts);

        for (int k = 0; k < clusterCount; k++)
        {
            int end = k + 1 < clusterCount ? starts[k + 1] : frameCount;
            clusters[k] = new TemporalCluster(starts[k], end - starts[k]);
        }
        return clusters;
    }

    /// <summary>Merges each cluster's frames into one pseudo-frame ("No Frame Left Behind", CVPR 2021).</summary>
    /// <param name="frames">T·D values, frame after frame.</param>
    /// <param name="frameCount">T.</param>
    /// <param name="clusters">Clusters inside [0, T), each with at least one frame.</param>
    /// <param name="aggregation">Sum or mean of each cluster's frames.</param>
    /// <param name="destination">g·D values, cluster after cluster.</param>
    public static void Aggregate(ReadOnlySpan<float> frames, int frameCount, ReadOnlySpan<TemporalCluster> clusters,
        ClusterAggregation aggregation, Span<float> destination)
    {
        int featureLength = CheckFrames(frames, frameCount);
        CheckAggregation(aggregation);
        if (destination.Length != (long)clusters.Length * featureLength)
            throw new ArgumentException(
                $"The destination holds {destination.Length} values; {clusters.Length} clusters of {featureLength} values need {(long)clusters.Length * featureLength}.",
                nameof(destination));
        for (int k = 0; k < clusters.Length; k++)
        {
            var cluster = clusters[k];
            if (cluster.Length < 1 || cluster.Start < 0 || cluster.End > frameCount)
                throw new ArgumentException($"Cluster {k} ({cluster}) is empty or lies outside frames 0..{frameCount - 1}.", nameof(clusters));
            var target = destination.Slice(k * featureLength, featureLength);
            frames.Slice(cluster.Start * featureLength, featureLength).CopyTo(target);
            for (int t = cluster.Start + 1; t < cluster.End; t++)
                AddInto(target, frames.Slice(t * featureLength, featureLength));
            if (aggregation == ClusterAggregation.Mean && cluster.Length > 1)
                DivideInPlace(target, cluster.Length);
        }
    }

    /// <summary>Clusters and aggregates in one call: T×D in, g×D out.</summary>
    /// <param name="frames">T·D values, frame after frame.</param>
    /// <param name="frameCount">T.</param>
    /// <param name="clusterCount">g.</param>
    /// <param name="method">The clustering method.</param>
    /// <param name="aggregation">Sum or mean.</param>
    /// <returns>g·D values, cluster after cluster.</returns>
    public static float[] ClusterAndAggregate(ReadOnlySpan<float> frames, int frameCount, int clusterCount,
        ClusteringMethod method, ClusterAggregation aggregation)
    {
        var clusters = Cluster(frames, frameCount, clusterCount, method);
        var result = new float[(long)clusterCount * (frames.Length / frameCount)];
        Aggregate(frames, frameCount, clusters, aggregation, result);
        return result;
    }

    internal static void HammingCounts(ReadOnlySpan<float> frames, int frameCount, Span<long> counts)
    {
        int featureLength = frames.Length / frameCount;
        int words = PackedLength(featureLength);
        ulong[] buffer = ArrayPool<ulong>.Shared.Rent(2 * words);
        try
        {
            Span<ulong> previous = buffer.AsSpan(0, words);
            Span<ulong> current = buffer.AsSpan(words, words);
            PackSigns(frames[..featureLength], previous);
            for (int t = 1; t < frameCount; t++)
            {
                PackSigns(frames.Slice(t * featureLength, featureLength), current);
                counts[t - 1] = CountDifferingBits(previous, current);
                var swap = previous;
                previous = current;
                current = swap;
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(buffer);
        }
    }

    /// <summary>Cluster k starts at ⌊k·T/g⌋ (strictly increasing when T ≥ g).</summary>
    private static void UniformStarts(int frameCount, Span<int> starts)
    {
        for (int k = 0; k < starts.Length; k++)
            starts[k] = (int)((long)k * frameCount / starts.Length);
    }

    /// <summary>"No Frame Left Behind", CVPR 2021 in exact integer arithmetic: frame t (t ≥ 1) is in 1-based cluster ⌈g·D_t / total⌉
    /// (at least 1), i.e. (k−1)·δ &lt; D_t ≤ k·δ with δ = total / g. Then empty clusters are repaired.</summary>
    private static void CumulativeStarts(ReadOnlySpan<long> counts, long total, Span<int> starts)
    {
        int clusterCount = starts.Length;
        int frameCount = counts.Length + 1;
        starts[0] = 0;
        int next = 1;
        long cumulative = 0;
        for (int t = 1; t < frameCount && next < clusterCount; t++)
        {
            cumulative += counts[t - 1];
            Int128 scaled = (Int128)clusterCount * cumulative;
            int cluster = (int)Int128.Max(1, (scaled + total - 1) / total);
            while (next < cluster)
                starts[next++] = t;
        }
        // D_{T-1} = total puts the last frame in cluster g, so every start was set.
        MakeStrictlyIncreasing(starts, frameCount);
    }

    /// <summary>"No Frame Left Behind", CVPR 2021: cut after the g−1 largest changes (earliest wins a tie).</summary>
    private static void SlopeStarts(ReadOnlySpan<long> counts, Span<int> starts)
    {
        int boundaries = starts.Length - 1;
        var order = new int[counts.Length];
        for (int i = 0; i < order.Length; i++)
            order[i] = i;
        var keys = counts.ToArray();
        Array.Sort(order, (a, b) =>
        {
            int byChange = keys[b].CompareTo(keys[a]);
            return byChange != 0 ? byChange : a.CompareTo(b);
        });
        var cuts = order.AsSpan(0, boundaries);
        cuts.Sort();
        starts[0] = 0;
        for (int k = 1; k < starts.Length; k++)
            starts[k] = cuts[k - 1] + 1;
    }

    /// <summary>Caps start k at T − g + k (later clusters keep a frame each), then raises it to at least the previous
    /// start + 1 (no empty cluster). Needs T ≥ g.</summary>
    private static void MakeStrictlyIncreasing(Span<int> starts, int frameCount)
    {
        int clusterCount = starts.Length;
        for (int k = 0; k < clusterCount; k++)
            starts[k] = Math.Min(starts[k], frameCount - clusterCount + k);
        for (int k = 1; k < clusterCount; k++)
            starts[k] = Math.Max(starts[k], starts[k - 1] + 1);
    }

    private static void AddInto(Span<float> accumulator, ReadOnlySpan<float> values)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var target = MemoryMarshal.Cast<float, Vector<float>>(accumulator);
            var source = MemoryMarshal.Cast<float, Vector<float>>(values);
            for (int v = 0; v < target.Length; v++)
                target[v] += source[v];
            i = target.Length * Vector<float>.Count;
        }
        for (; i < accumulator.Length; i++)
            accumulator[i] += values[i];
    }

    private static void DivideInPlace(Span<float> values, int divisor)
    {
        float d = divisor;
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vectors = MemoryMarshal.Cast<float, Vector<float>>(values);
            var dv = new Vector<float>(d);
            for (int v = 0; v < vectors.Length; v++)
                vectors[v] /= dv;
            i = vectors.Length * Vector<float>.Count;
        }
        for (; i < values.Length; i++)
            values[i] /= d;
    }

    /// <summary>Validates the frame layout and returns D.</summary>
    private static int CheckFrames(ReadOnlySpan<float> frames, int frameCount)
    {
        if (frameCount < 1)
            throw new ArgumentOutOfRangeException(nameof(frameCount), frameCount, $"The frame count must be positive; got {frameCount}.");
        if (frames.Length == 0 || frames.Length % frameCount != 0)
            throw new ArgumentException(
                $"{frames.Length} values cannot be split into {frameCount} frames of equal, non-zero length.", nameof(frames));
        return frames.Length / frameCount;
    }

    private static void CheckClustering(int clusterCount, ClusteringMethod method)
    {
        if (clusterCount < 1)
            throw new ArgumentOutOfRangeException(nameof(clusterCount), clusterCount, $"The cluster count must be positive; got {clusterCount}.");
        if (!Enum.IsDefined(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, $"Unknown clustering method {method}.");
    }

    private static void CheckAggregation(ClusterAggregation aggregation)
    {
        if (!Enum.IsDefined(aggregation))
            throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, $"Unknown aggregation {aggregation}.");
    }
}
