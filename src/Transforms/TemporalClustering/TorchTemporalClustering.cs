using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>
/// <see cref="TemporalClusterer"/> on TorchSharp activations, for networks that cluster inside the forward pass
/// ("No frame left behind", "No Frame Left Behind", CVPR 2021: the first block's activations of all T frames are clustered
/// per video and merged into g pseudo-frames that the deeper layers see).
/// </summary>
/// <remarks>
/// <para>The assignment is computed under <see cref="torch.no_grad()"/> from a detached copy: each frame's flattened
/// activations are binarised (<c>&gt; 0</c>), the number of differing positions between consecutive frames is counted
/// on the activations' device, and the counts (T − 1 integers per video) are clustered on the CPU by
/// <see cref="TemporalClusterer.ClusterFromHammingCounts"/>, so a tensor and a span give identical clusters.</para>
/// <para>The aggregation is ordinary differentiable tensor arithmetic (<c>index_add</c> and, for <see cref="ClusterAggregation.Mean"/>,
/// a division by the cluster lengths): every frame of a cluster receives the cluster's gradient (÷ length for Mean),
/// and nothing flows through the assignment ("No Frame Left Behind", CVPR 2021). When T &lt; g a frame can feed several clusters and
/// receives the sum of their gradients.</para>
/// <para>Memory: the assignment needs a temporary boolean copy of the activations (1 byte per value). On CUDA,
/// <c>index_add</c> adds with atomics, so the last bits of a sum may differ between runs; on the CPU it is repeatable.</para>
/// </remarks>
public static class TorchTemporalClustering
{
    /// <summary>Clusters every video of a batch; nothing is recorded for autograd.</summary>
    /// <param name="activations">[N, T, ...]: N videos of T frames; each frame's trailing values are flattened.</param>
    /// <param name="clusterCount">g, at least 1.</param>
    /// <param name="method">The clustering method.</param>
    /// <returns>For each video, its g clusters (see <see cref="TemporalClusterer"/> for the rules).</returns>
    public static TemporalCluster[][] Assign(Tensor activations, int clusterCount, ClusteringMethod method)
    {
        var (videos, frames) = BatchAndFrames(activations);
        ArgumentOutOfRangeException.ThrowIfLessThan(clusterCount, 1);
        var result = new TemporalCluster[videos][];
        if (frames <= clusterCount || clusterCount == 1)
        {
            var trivial = TemporalClusterer.ClusterFromHammingCounts(new long[frames - 1], clusterCount, method);
            for (int n = 0; n < videos; n++)
                result[n] = (TemporalCluster[])trivial.Clone();
            return result;
        }

        long[] counts;
        using (no_grad())
        using (NewDisposeScope())
        {
            var bits = activations.detach().reshape(videos, frames, -1).gt(0);
            var changes = bits.narrow(1, 1, frames - 1).not_equal(bits.narrow(1, 0, frames - 1)).sum(2, type: ScalarType.Int64);
            counts = changes.cpu().data<long>().ToArray();
        }
        for (int n = 0; n < videos; n++)
            result[n] = TemporalClusterer.ClusterFromHammingCounts(counts.AsSpan(n * (frames - 1), frames - 1), clusterCount, method);
        return result;
    }

    /// <summary>Clusters each video's frames and merges each cluster: [N, T, ...] → [N, g, ...].</summary>
    /// <param name="activations">[N, T, ...], for example [N, T, C, H, W] after a network's first block. Not changed.</param>
    /// <param name="clusterCount">g, at least 1.</param>
    /// <param name="method">The clustering method.</param>
    /// <param name="aggregation">Sum (paper) or mean (reference code) of each cluster's frames.</param>
    /// <returns>A new tensor [N, g, ...] on the same device and with the same dtype, differentiable with respect to
    /// <paramref name="activations"/>.</returns>
    public static Tensor Aggregate(Tensor activations, int clusterCount, ClusteringMethod method, ClusterAggregation aggregation)
        => Aggregate(activations, Assign(activations, clusterCount, method), aggregation);

    /// <summary>As <see cref="Aggregate(Tensor, int, ClusteringMethod, ClusterAggregation)"/>, for frames stacked in the
    /// batch dimension as TSM networks keep them: [N·T, ...] → [N·g, ...].</summary>
    /// <param name="activations">[N·T, ...], for example [N·T, C, H, W]; video n holds rows n·T to n·T + T − 1.</param>
    /// <param name="framesPerVideo">T; the first dimension must be a multiple of it.</param>
    /// <param name="clusterCount">g, at least 1.</param>
    /// <param name="method">The clustering method.</param>
    /// <param name="aggregation">Sum or mean.</param>
    /// <returns>A new tensor [N·g, ...]; video n's clusters are rows n·g to n·g + g − 1.</returns>
    public static Tensor AggregateStacked(Tensor activations, int framesPerVideo, int clusterCount,
        ClusteringMethod method, ClusterAggregation aggregation)
    {
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentOutOfRangeException.ThrowIfLessThan(framesPerVideo, 1);
        if (activations.dim() < 1 || activations.shape[0] % framesPerVideo != 0)
            throw new ArgumentException(
                $"The first dimension of shape [{string.Join(", ", activations.shape)}] must be a multiple of framesPerVideo ({framesPerVideo}).",
                nameof(activations));
        long videos = activations.shape[0] / framesPerVideo;
        var grouped = new long[activations.dim() + 1];
        grouped[0] = videos;
        grouped[1] = framesPerVideo;
        Array.Copy(activations.shape, 1, grouped, 2, activations.dim() - 1);
        var stacked = (long[])activations.shape.Clone();
        stacked[0] = videos * clusterCount;

        using var scope = NewDisposeScope();
        var result = Aggregate(activations.reshape(grouped), clusterCount, method, aggregation).reshape(stacked);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Merges given clusters: [N, T, ...] → [N, g, ...]. Clusters may overlap (as when T &lt; g).</summary>
    /// <param name="activations">[N, T, ...]. Not changed.</param>
    /// <param name="clusters">For each of the N videos, its g clusters inside [0, T), each non-empty; every video has the same g.</param>
    /// <param name="aggregation">Sum or mean.</param>
    /// <returns>A new tensor [N, g, ...], differentiable with respect to <paramref name="activations"/>.</returns>
    public static Tensor Aggregate(Tensor activations, IReadOnlyList<TemporalCluster[]> clusters, ClusterAggregation aggregation)
    {
        var (videos, frames) = BatchAndFrames(activations);
        ArgumentNullException.ThrowIfNull(clusters);
        if (!Enum.IsDefined(aggregation))
            throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, $"Unknown aggregation {aggregation}.");
        if (clusters.Count != videos)
            throw new ArgumentException($"Got clusters for {clusters.Count} videos; the batch holds {videos}.", nameof(clusters));
        int clusterCount = clusters[0].Length;
        if (clusterCount < 1)
            throw new ArgumentException("Each video needs at least one cluster.", nameof(clusters));

        var memberFrames = new List<long>(videos * Math.Max(frames, clusterCount));
        var memberClusters = new List<long>(memberFrames.Capacity);
        var lengths = new float[videos * clusterCount];
        for (int n = 0; n < videos; n++)
        {
            if (clusters[n].Length != clusterCount)
                throw new ArgumentException($"Video {n} has {clusters[n].Length} clusters; video 0 has {clusterCount}.", nameof(clusters));
            for (int k = 0; k < clusterCount; k++)
            {
                var cluster = clusters[n][k];
                if (cluster.Length < 1 || cluster.Start < 0 || cluster.End > frames)
                    throw new ArgumentException($"Cluster {k} of video {n} ({cluster}) is empty or lies outside frames 0..{frames - 1}.", nameof(clusters));
                lengths[n * clusterCount + k] = cluster.Length;
                for (int t = cluster.Start; t < cluster.End; t++)
                {
                    memberFrames.Add((long)n * frames + t);
                    memberClusters.Add((long)n * clusterCount + k);
                }
            }
        }

        var outputShape = (long[])activations.shape.Clone();
        outputShape[1] = clusterCount;
        using var scope = NewDisposeScope();
        var device = activations.device;
        var flat = activations.reshape(videos * frames, -1);
        // A partition in order (T ≥ g) visits every frame once, in order: no gather needed.
        var source = IsIdentity(memberFrames, videos * frames) ? flat : flat.index_select(0, tensor(memberFrames.ToArray()).to(device));
        Tensor merged;
        if (IsIdentity(memberClusters, videos * clusterCount))
        {
            // One frame per cluster: the sum and the mean are the frame itself. Copy rather than return a view of the
            // caller's tensor, so later in-place layers cannot change the activations autograd still needs.
            merged = ReferenceEquals(source, flat) ? flat.clone() : source;
        }
        else
        {
            merged = zeros(videos * clusterCount, flat.shape[1], dtype: flat.dtype, device: device)
                .index_add(0, tensor(memberClusters.ToArray()).to(device), source, 1);
            if (aggregation == ClusterAggregation.Mean)
                merged = merged / tensor(lengths).to(flat.dtype).to(device).unsqueeze(1);
        }
        return merged.reshape(outputShape).MoveToOuterDisposeScope();
    }

    private static bool IsIdentity(List<long> indices, long count)
    {
        if (indices.Count != count)
            return false;
        for (int i = 0; i < indices.Count; i++)
            if (indices[i] != i)
                return false;
        return true;
    }

    private static (int Videos, int Frames) BatchAndFrames(Tensor activations)
    {
        ArgumentNullException.ThrowIfNull(activations);
        if (activations.dim() < 2 || activations.shape[0] < 1 || activations.shape[1] < 1)
            throw new ArgumentException(
                $"Expected activations [N, T, ...] with N ≥ 1 and T ≥ 1; got shape [{string.Join(", ", activations.shape)}].", nameof(activations));
        if (activations.shape[0] > int.MaxValue || activations.shape[1] > int.MaxValue)
            throw new ArgumentException("The batch and frame dimensions must each fit in an Int32.", nameof(activations));
        return ((int)activations.shape[0], (int)activations.shape[1]);
    }
}
