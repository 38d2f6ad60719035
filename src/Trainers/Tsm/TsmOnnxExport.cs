using MLNetVideo.Onnx;
using MLNetVideo.Trainers.Common;
using MLNetVideo.Transforms.TemporalClustering;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>Writes a <see cref="TsmNetwork"/> (evaluation mode, with or without temporal clustering) as an ONNX graph:
/// input <c>clips</c> [batch, T, 3, H, W], output <c>logits</c> [batch, classes] (see <see cref="VideoOnnxExport"/>).</summary>
/// <remarks>
/// <para>The temporal shift is Slice + Pad + Concat on the frames regrouped per video. Chunking of the first stage
/// (<see cref="TsmSpec.ShallowChunkFrames"/>, <see cref="TsmSpec.OnlineClustering"/>) only bounds memory and gives the same
/// values, so the graph runs the stage once over all frames.</para>
/// <para>Clustering ("No frame left behind") is written with standard operators, per video and data-dependent as in
/// TorchSharp: the sign bits of <c>layer1</c>'s output are compared between consecutive frames (Greater, Xor, ReduceSum),
/// cluster starts are derived from the counts (Cumulative: CumSum and integer ceil-division, then the strictly-increasing
/// repair unrolled over g; Slope: TopK of the g − 1 largest changes, ties to the earlier frame as ONNX specifies), a clip
/// without any change falls back to uniform starts (Where), and the merge is a MatMul with the one-hot frame→cluster matrix
/// (divided by the cluster lengths for Mean).</para>
/// </remarks>
internal static class TsmOnnxExport
{
    /// <summary>Exports <paramref name="network"/> for clips of <paramref name="frames"/> frames of
    /// <paramref name="height"/>×<paramref name="width"/>.</summary>
    /// <param name="network">The network (its current weights and batch-norm statistics).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="frames">T, at least 1.</param>
    /// <param name="height">H, at least <see cref="TsmSpecs.MinFrameSize"/>.</param>
    /// <param name="width">W, at least <see cref="TsmSpecs.MinFrameSize"/>.</param>
    public static void Export(TsmNetwork network, string path, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (frames < 1 || height < TsmSpecs.MinFrameSize || width < TsmSpecs.MinFrameSize)
            throw new ArgumentException($"TSM exports clips of at least 1 frame of {TsmSpecs.MinFrameSize}²; got {frames} of {height}×{width}.");
        Write(network, path, frames, height, width, null);
    }

    internal static void Write(TsmNetwork network, string path, int frames, int height, int width, VideoOnnxExport.ScoringInput? scoring)
    {
        var spec = network.Spec;
        VideoOnnxExport.Write(network, path, "TSM", spec, [frames, 3, height, width],
            (g, state, clips) => Build(g, spec, state, clips, frames, height, width), scoring);
    }

    private static void Build(OnnxGraph g, TsmSpec spec, Func<string, Tensor> state, string x, int frames, long h, long w)
    {
        double eps = spec.BatchNorm.Eps;
        if (spec.SampledFrames > 0 && spec.SampledFrames < frames)
        {
            x = g.Node("Gather", [x, g.Int64s(TsmSpec.UniformIndices(frames, spec.SampledFrames))], null, ("axis", 1L));
            frames = spec.SampledFrames;
        }
        x = g.Reshape(x, -1, 3, h, w);
        x = g.Relu(OnnxVideoOps.ConvNorm(g, x, "conv1.weight", "bn1", state, eps, stride: 2, padding: 3));
        (h, w) = (VideoOnnxExport.Out(h, 7, 2, 3, 3), VideoOnnxExport.Out(w, 7, 2, 3, 3));
        x = g.Node("MaxPool", [x], null, ("kernel_shape", new long[] { 3, 3 }), ("strides", new long[] { 2, 2 }), ("pads", new long[] { 1, 1, 1, 1 }));
        (h, w) = (VideoOnnxExport.Out(h, 3, 2, 1, 1), VideoOnnxExport.Out(w, 3, 2, 1, 1));

        var (stem, planes) = spec.Widths();
        long channels = stem;
        long segments = frames;
        for (int s = 0; s < 4; s++)
        {
            if (s == 1 && spec.Clustering != TsmClustering.None)
            {
                x = Cluster(g, x, frames, spec.ClusterCount, channels * h * w, TsmNetwork.Method(spec.Clustering), spec.Aggregation);
                x = g.Reshape(x, -1, channels, h, w);
                segments = spec.ClusterCount;
            }
            for (int b = 0; b < spec.BlocksPerStage[s]; b++)
            {
                long stride = b == 0 && s > 0 ? 2 : 1;
                string prefix = $"layer{s + 1}.{b}";
                long outChannels = planes[s] * spec.Expansion;
                long ho = VideoOnnxExport.Out(h, 3, stride, 1, 1), wo = VideoOnnxExport.Out(w, 3, stride, 1, 1);
                var shifted = OnnxVideoOps.TemporalShift(g, x, segments, channels, h, w, spec.ShiftDivisor);
                string y;
                if (spec.UsesBottleneck)
                {
                    y = g.Relu(OnnxVideoOps.ConvNorm(g, shifted, prefix + ".conv1.net.weight", prefix + ".bn1", state, eps));
                    y = g.Relu(OnnxVideoOps.ConvNorm(g, y, prefix + ".conv2.weight", prefix + ".bn2", state, eps, stride, 1));
                    y = OnnxVideoOps.ConvNorm(g, y, prefix + ".conv3.weight", prefix + ".bn3", state, eps);
                }
                else
                {
                    y = g.Relu(OnnxVideoOps.ConvNorm(g, shifted, prefix + ".conv1.net.weight", prefix + ".bn1", state, eps, stride, 1));
                    y = OnnxVideoOps.ConvNorm(g, y, prefix + ".conv2.weight", prefix + ".bn2", state, eps, 1, 1);
                }
                var identity = stride == 1 && channels == outChannels
                    ? x
                    : OnnxVideoOps.ConvNorm(g, x, prefix + ".downsample.0.weight", prefix + ".downsample.1", state, eps, stride);
                x = g.Relu(g.Add(y, identity));
                (channels, h, w) = (outChannels, ho, wo);
            }
        }
        OnnxVideoOps.FrameAveragedHead(g, x, channels, segments, spec.NumClasses, state);
    }

    /// <summary>[N·T, ...] with F values per frame → [N, g, F]: the clusters of <see cref="TemporalClusterer"/>, merged.</summary>
    internal static string Cluster(OnnxGraph g, string x, long frames, int clusterCount, long features, ClusteringMethod method, ClusterAggregation aggregation)
    {
        var flat = g.Reshape(x, -1, frames, features);
        long gc = clusterCount;
        if (frames <= gc)
        {
            // One frame per cluster (frame ⌊k·T/g⌋): sum and mean are the frame itself.
            var picks = Enumerable.Range(0, clusterCount).Select(k => (long)k * frames / gc).ToArray();
            return g.Node("Gather", [flat, g.Int64s(picks)], null, ("axis", 1L));
        }
        string ids;
        var uniform = Enumerable.Range(0, (int)frames).Select(f => (long)Enumerable.Range(1, clusterCount - 1).Count(k => (long)k * frames / gc <= f)).ToArray();
        if (clusterCount == 1)
        {
            ids = g.Reshape(g.Int64s(uniform), 1, frames);
        }
        else
        {
            var bits = g.Node("Greater", [flat, g.Scalar(0f)]);
            var changed = g.Node("Xor", [g.Slice(bits, 1, 1, frames), g.Slice(bits, 1, 0, frames - 1)]);
            var counts = g.Node("ReduceSum", [g.Node("Cast", [changed], null, ("to", 7L)), g.Int64s(2)], null, ("keepdims", 0L));   // [N, T−1]
            var total = g.Node("ReduceSum", [counts, g.Int64s(1)], null, ("keepdims", 1L));                                          // [N, 1]
            string starts;   // [N, g−1]: the first frame of clusters 1 … g−1
            if (method == ClusteringMethod.Cumulative)
            {
                var cumulative = g.Node("CumSum", [counts, g.Int64Scalar(1)]);                                      // D_t, t = 1 … T−1
                var safeTotal = g.Node("Max", [total, g.Int64s(1)]);
                var scaled = g.Node("Mul", [cumulative, g.Int64s(gc)]);
                var cluster = g.Node("Div", [g.Node("Sub", [g.Add(scaled, safeTotal), g.Int64s(1)]), safeTotal]);   // ⌈g·D_t / total⌉
                cluster = g.Node("Max", [cluster, g.Int64s(1)]);
                var ks = g.Reshape(g.Int64s([.. Enumerable.Range(1, clusterCount - 1).Select(k => (long)k)]), 1, 1, gc - 1);
                var below = g.Node("LessOrEqual", [g.Node("Unsqueeze", [cluster, g.Int64s(2)]), ks]);               // [N, T−1, g−1]
                var first = g.Add(g.Node("ReduceSum", [g.Node("Cast", [below], null, ("to", 7L)), g.Int64s(1)], null, ("keepdims", 0L)), g.Int64s(1));
                // The repair of TemporalClusterer: starts[k] ≤ T − g + k, then starts[k] ≥ starts[k−1] + 1 (starts[0] = 0).
                var capped = g.Node("Min", [first, g.Reshape(g.Int64s([.. Enumerable.Range(1, clusterCount - 1).Select(k => frames - gc + k)]), 1, gc - 1)]);
                var previous = g.Reshape(g.Int64s(0), 1, 1);
                var parts = new List<string>();
                for (int k = 1; k < clusterCount; k++)
                {
                    var start = g.Node("Max", [g.Slice(capped, 1, k - 1, k), g.Add(previous, g.Int64s(1))]);
                    parts.Add(start);
                    previous = start;
                }
                starts = parts.Count == 1 ? parts[0] : g.Concat(1, [.. parts]);
            }
            else
            {
                var floats = g.Node("Cast", [counts], null, ("to", 1L));
                starts = g.Add(TopKIndices(g, floats, gc - 1), g.Int64s(1));
            }
            var positions = g.Reshape(g.Int64s([.. Enumerable.Range(0, (int)frames).Select(f => (long)f)]), 1, frames, 1);
            var reached = g.Node("LessOrEqual", [g.Node("Unsqueeze", [starts, g.Int64s(1)]), positions]);              // [N, T, g−1]
            var dataIds = g.Node("ReduceSum", [g.Node("Cast", [reached], null, ("to", 7L)), g.Int64s(2)], null, ("keepdims", 0L));
            var noChange = g.Node("Equal", [total, g.Int64s(0)]);
            ids = g.Node("Where", [noChange, g.Reshape(g.Int64s(uniform), 1, frames), dataIds]);
        }
        var clusterIndex = g.Reshape(g.Int64s([.. Enumerable.Range(0, clusterCount).Select(k => (long)k)]), 1, 1, gc);
        var membership = g.Node("Cast", [g.Node("Equal", [g.Node("Unsqueeze", [ids, g.Int64s(2)]), clusterIndex])], null, ("to", 1L));   // [N or 1, T, g]
        var merged = g.Node("MatMul", [g.Transpose(membership, 0, 2, 1), flat]);                                                         // [N, g, F]
        if (aggregation == ClusterAggregation.Mean)
        {
            var lengths = g.Node("ReduceSum", [membership, g.Int64s(1)], null, ("keepdims", 0L));
            merged = g.Node("Div", [merged, g.Node("Unsqueeze", [lengths, g.Int64s(2)])]);
        }
        return merged;
    }

    private static string TopKIndices(OnnxGraph g, string values, long k)
    {
        string suffix = g.NodeCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string name = "topk_indices_" + suffix;
        g.NodeWithOutputs("TopK", [values, g.Int64s(k)], ["topk_values_" + suffix, name], ("axis", 1L), ("largest", 1L), ("sorted", 1L));
        return name;
    }
}
