using MLNetVideo.Runtime;
using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>
/// The first stage of a clustering <see cref="TsmNetwork"/> (stem + <c>layer1</c>, then "No frame left behind" clustering and
/// merging into g pseudo-frames) computed chunk by chunk, so that no tensor holds <c>layer1</c>'s output of all T frames.
/// </summary>
/// <remarks>
/// <para>Three passes over the frames, each in chunks of <see cref="TsmNetwork.OnlineChunkFrames"/> frames with the halo of
/// <see cref="TsmNetwork"/> (so every temporal shift sees its true neighbours, also across chunk borders):</para>
/// <list type="number">
/// <item><description><b>Assignment</b> (no gradient): each chunk's <c>layer1</c> output is binarised (<c>&gt; 0</c>) and the number of
/// differing positions between consecutive frames is counted; only the binarised last frame of the previous chunk is carried
/// (one byte per value of one frame) and only T − 1 counts are kept. The counts are clustered by
/// <see cref="TemporalClusterer.ClusterFromHammingCounts"/>, exactly as <see cref="TorchTemporalClustering.Assign"/> does on the
/// whole tensor.</description></item>
/// <item><description><b>Aggregation</b> (no gradient): each chunk is recomputed and its frames are added into their clusters' sums
/// ([N·g, C1, h, w]; divided by the cluster lengths for <see cref="ClusterAggregation.Mean"/>). This is the output.</description></item>
/// <item><description><b>Backward</b>: each chunk is recomputed with gradients enabled; the gradient of each of its frames is the
/// gradient of the frame's cluster (÷ length for Mean; the sum over clusters where T &lt; g makes a frame feed several), and
/// <c>autograd.grad</c> turns it into the stage's parameter gradients (and the clip's, when it requires one), accumulated over
/// the chunks. Only one chunk's graph exists at a time.</description></item>
/// </list>
/// <para>Peak memory therefore holds the clip, g merged maps and their gradient, and one chunk's activations (with halo) — not
/// T frames of anything but the input. The price is two extra first-stage forward passes per step (plus the halo frames).</para>
/// <para>Batch norm in training: as in every chunked path, each chunk (with its halo) is normalised with its own statistics.
/// Passes 1 and 3 restore the first stage's running statistics afterwards, so they are updated once per chunk (in pass 2),
/// exactly as by the stored chunked path.</para>
/// <para>Arguments of <c>apply</c>: the clips [N, T, 3, H, W], the network, then <see cref="TsmNetwork.ShallowParameters"/>.
/// No state is kept in the (shared) function instance.</para>
/// </remarks>
internal sealed class OnlineClusteredShallowStage : autograd.SingleTensorFunction<OnlineClusteredShallowStage>
{
    private const string NetworkKey = "network";
    private const string ClustersKey = "clusters";
    private const string ClipGradientKey = "clipGradient";

    public override string Name => nameof(OnlineClusteredShallowStage);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var clips = (Tensor)vars[0];
        var network = (TsmNetwork)vars[1];
        var clusters = Assign(network, clips);
        ctx.save_data(NetworkKey, network);
        ctx.save_data(ClustersKey, clusters);
        ctx.save_data(ClipGradientKey, clips.requires_grad);
        ctx.save_for_backward([clips]);
        return Aggregate(network, clips, clusters);   // autograd is off here (set by apply)
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var network = (TsmNetwork)ctx.get_data(NetworkKey);
        var clusters = (TemporalCluster[][])ctx.get_data(ClustersKey);
        bool clipGradient = (bool)ctx.get_data(ClipGradientKey);
        var clips = ctx.get_saved_variables()[0];
        var parameters = network.ShallowParameters();
        var (gradients, clipGrad) = Gradients(network, clips, grad_output, clusters, parameters, clipGradient);
        var result = new List<Tensor>(parameters.Length + 2) { clipGrad!, null! };   // network: not a tensor
        result.AddRange(gradients);
        return result;
    }

    /// <summary>Pass 1: the clusters of every video, from chunk-by-chunk Hamming counts of the binarised <c>layer1</c> output.</summary>
    /// <param name="network">The network (its spec gives g, the method and the chunk size).</param>
    /// <param name="x">[N, T, 3, H, W] (frames already sampled).</param>
    /// <returns>For each video, its g clusters.</returns>
    internal static TemporalCluster[][] Assign(TsmNetwork network, Tensor x)
    {
        var spec = network.Spec;
        int videos = (int)x.shape[0];
        int frames = (int)x.shape[1];
        int g = spec.ClusterCount;
        var method = TsmNetwork.Method(spec.Clustering);
        var result = new TemporalCluster[videos][];
        if (frames <= g || g == 1)
        {
            // The distances cannot change the clusters: one frame per cluster, or one cluster of everything.
            var trivial = TemporalClusterer.ClusterFromHammingCounts(new long[frames - 1], g, method);
            for (int n = 0; n < videos; n++)
                result[n] = (TemporalCluster[])trivial.Clone();
            return result;
        }

        var counts = new long[videos][];
        for (int n = 0; n < videos; n++)
            counts[n] = new long[frames - 1];
        int chunk = network.OnlineChunkFrames(frames);
        using (no_grad())
        using (var statistics = network.SaveShallowStatistics())
        {
            Tensor? previous = null;   // [N, D] signs of the last frame of the previous chunk
            try
            {
                for (int start = 0; start < frames; start += chunk)
                {
                    using var chunkScope = NewDisposeScope();
                    int length = Math.Min(chunk, frames - start);
                    var signs = network.ShallowChunk(x, start, length).reshape(videos, length, -1).gt(HeldScalars.Zero);   // held: HeldScalars
                    var parts = new List<Tensor>(2);
                    if (previous is not null)
                        parts.Add(signs.select(1, 0).not_equal(previous).sum(1, type: ScalarType.Int64).unsqueeze(1));
                    if (length > 1)
                        parts.Add(signs.narrow(1, 1, length - 1).not_equal(signs.narrow(1, 0, length - 1)).sum(2, type: ScalarType.Int64));
                    if (parts.Count > 0)
                    {
                        var changes = cat(parts, 1).cpu().contiguous();
                        int width = (int)changes.shape[1];
                        var values = changes.data<long>().ToArray();
                        int offset = start == 0 ? 0 : start - 1;   // counts[t] is the change from frame t to t + 1
                        for (int n = 0; n < videos; n++)
                            Array.Copy(values, n * width, counts[n], offset, width);
                    }
                    previous?.Dispose();
                    previous = signs.select(1, length - 1).clone().DetachFromDisposeScope();
                }
            }
            finally
            {
                previous?.Dispose();
            }
        }
        for (int n = 0; n < videos; n++)
            result[n] = TemporalClusterer.ClusterFromHammingCounts(counts[n], g, method);
        return result;
    }

    /// <summary>Pass 2: the merged pseudo-frames [N·g, C1, h, w], accumulated chunk by chunk (with whatever autograd mode is
    /// current; the function calls it without recording).</summary>
    /// <param name="network">The network.</param>
    /// <param name="x">[N, T, 3, H, W].</param>
    /// <param name="clusters">Each video's g clusters (from <see cref="Assign"/>).</param>
    /// <returns>Video n's clusters are rows n·g to n·g + g − 1.</returns>
    internal static Tensor Aggregate(TsmNetwork network, Tensor x, TemporalCluster[][] clusters)
    {
        int videos = (int)x.shape[0];
        int frames = (int)x.shape[1];
        int g = network.Spec.ClusterCount;
        int chunk = network.OnlineChunkFrames(frames);
        using var scope = NewDisposeScope();
        Tensor? sums = null;
        long[] mapShape = [];
        for (int start = 0; start < frames; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            int length = Math.Min(chunk, frames - start);
            var centre = network.ShallowChunk(x, start, length);
            mapShape = centre.shape[2..];
            var flat = centre.reshape(videos * length, -1);
            if (sums is null)
                sums = zeros(videos * g, flat.shape[1], dtype: flat.dtype, device: flat.device).MoveToOuterDisposeScope();
            var (sources, targets) = Members(clusters, g, start, length);
            if (sources.Length > 0)
                sums.index_add_(0, tensor(targets).to(flat.device), flat.index_select(0, tensor(sources).to(flat.device)), HeldScalars.One);
        }
        if (network.Spec.Aggregation == ClusterAggregation.Mean)
            sums = sums! / Lengths(clusters, g, sums!.dtype, sums.device).unsqueeze(1);
        return sums!.reshape([videos * g, .. mapShape]).MoveToOuterDisposeScope();
    }

    /// <summary>Pass 3: gradients of the first stage's parameters (and of the clips when <paramref name="clipGradient"/>) for
    /// the gradient <paramref name="gradOutput"/> of the merged pseudo-frames, recomputing chunk by chunk.</summary>
    internal static (Tensor[] Parameters, Tensor? Clips) Gradients(TsmNetwork network, Tensor x, Tensor gradOutput,
        TemporalCluster[][] clusters, Parameter[] parameters, bool clipGradient)
    {
        int videos = (int)x.shape[0];
        int frames = (int)x.shape[1];
        int g = network.Spec.ClusterCount;
        int chunk = network.OnlineChunkFrames(frames);
        using var scope = NewDisposeScope();
        using var enable = enable_grad();
        using var statistics = network.SaveShallowStatistics();
        var clusterGradients = gradOutput.reshape(videos * g, -1);
        if (network.Spec.Aggregation == ClusterAggregation.Mean)
            clusterGradients = clusterGradients / Lengths(clusters, g, clusterGradients.dtype, clusterGradients.device).unsqueeze(1);
        var sums = new Tensor?[parameters.Length];
        var clipGrad = clipGradient ? zeros_like(x) : null;
        for (int start = 0; start < frames; start += chunk)
        {
            using var chunkScope = NewDisposeScope();
            int length = Math.Min(chunk, frames - start);
            var (lo, hi) = network.ShallowWindow(frames, start, length);
            var window = x.narrow(1, lo, hi - lo).detach();
            if (clipGradient)
                window.requires_grad_(true);
            var centre = network.ShallowWindowOutput(window, start - lo, length);
            var (sources, targets) = Members(clusters, g, start, length);
            var device = centre.device;
            var frameGradients = zeros(videos * length, clusterGradients.shape[1], dtype: centre.dtype, device: device)
                .index_add_(0, tensor(sources).to(device), clusterGradients.index_select(0, tensor(targets).to(device)), 1)
                .reshape(centre.shape);
            Tensor[] inputs = clipGradient ? [.. parameters, window] : [.. parameters];
            var gradients = autograd.grad([centre], inputs, [frameGradients], allow_unused: true);
            for (int i = 0; i < parameters.Length; i++)
            {
                if (gradients[i] is not { IsInvalid: false } gradient)
                    continue;
                if (sums[i] is null)
                    sums[i] = gradient.MoveToOuterDisposeScope();
                else
                    sums[i]!.add_(gradient, HeldScalars.One);
            }
            if (clipGrad is not null && gradients[^1] is { IsInvalid: false } windowGradient)
                clipGrad.narrow(1, lo, hi - lo).add_(windowGradient, HeldScalars.One);
        }
        Tensor[] result = [.. sums.Select((gradient, i) => (gradient ?? zeros_like(parameters[i])).MoveToOuterDisposeScope())];
        return (result, clipGrad?.MoveToOuterDisposeScope());
    }

    /// <summary>Which rows of a chunk feed which cluster rows: frame t of video n (row n·length + t − start of the chunk) → cluster
    /// k of video n (row n·g + k), for every cluster containing t (several where T &lt; g).</summary>
    private static (long[] Sources, long[] Targets) Members(TemporalCluster[][] clusters, int g, int start, int length)
    {
        var sources = new List<long>();
        var targets = new List<long>();
        int end = start + length;
        for (int n = 0; n < clusters.Length; n++)
        {
            for (int k = 0; k < g; k++)
            {
                var cluster = clusters[n][k];
                for (int t = Math.Max(start, cluster.Start); t < Math.Min(end, cluster.End); t++)
                {
                    sources.Add(((long)n * length) + t - start);
                    targets.Add(((long)n * g) + k);
                }
            }
        }
        return (sources.ToArray(), targets.ToArray());
    }

    private static Tensor Lengths(TemporalCluster[][] clusters, int g, ScalarType dtype, Device device)
        => tensor(clusters.SelectMany(video => video.Take(g).Select(c => (float)c.Length)).ToArray()).to(dtype).to(device);
}
