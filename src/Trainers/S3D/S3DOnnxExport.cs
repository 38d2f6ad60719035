using MLNetVideo.Onnx;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.S3D;

/// <summary>Writes an <see cref="S3DNetwork"/> (S3D or S3D-G, evaluation mode) as an ONNX graph: input
/// <c>clips</c> [batch, 3, T, H, W], output <c>logits</c> [batch, classes] (see <see cref="VideoOnnxExport"/>).</summary>
/// <remarks>Standard operators only: Conv (3-D), BatchNormalization, Relu, MaxPool, AveragePool, ReduceMean, MatMul, Add,
/// Sigmoid, Mul, Reshape, Concat. Dropout is the identity at inference and is not written.</remarks>
internal static class S3DOnnxExport
{
    /// <summary>Exports <paramref name="network"/> for clips of <paramref name="frames"/> frames of
    /// <paramref name="height"/>×<paramref name="width"/>.</summary>
    /// <param name="network">The network (its current weights and batch-norm statistics).</param>
    /// <param name="path">The .onnx file to write.</param>
    /// <param name="frames">T, at least <see cref="S3DSpecs.MinFrames"/>.</param>
    /// <param name="height">H, at least <see cref="S3DSpecs.MinFrameSize"/>.</param>
    /// <param name="width">W, at least <see cref="S3DSpecs.MinFrameSize"/>.</param>
    public static void Export(S3DNetwork network, string path, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (frames < S3DSpecs.MinFrames || height < S3DSpecs.MinFrameSize || width < S3DSpecs.MinFrameSize)
            throw new ArgumentException($"S3D exports clips of at least {S3DSpecs.MinFrames} frames of {S3DSpecs.MinFrameSize}²; got {frames} of {height}×{width}.");
        Write(network, path, frames, height, width, null);
    }

    internal static void Write(S3DNetwork network, string path, int frames, int height, int width, VideoOnnxExport.ScoringInput? scoring)
    {
        var spec = network.Spec;
        VideoOnnxExport.Write(network, path, "S3D", spec, [3, frames, height, width],
            (g, state, clips) => Build(g, spec, state, clips, frames, height, width), scoring);
    }

    private static void Build(OnnxGraph g, S3DSpec spec, Func<string, Tensor> state, string x, long t, long h, long w)
    {
        double eps = spec.BatchNorm.Eps;
        bool gated = spec.Variant == S3DVariant.S3DG;
        long Kt(int layer, long k) => layer >= spec.TemporalStartLayer ? k : 1;

        string Gate(string y, string prefix)
        {
            var context = g.ReduceMean(y, [2, 3, 4], keepDims: false);
            var gate = g.Unary("Sigmoid", g.Linear(context, prefix + ".fc", state));
            return g.Mul(y, g.Reshape(gate, 0, 0, 1, 1, 1));
        }
        string Basic(string y, string prefix)
        {
            var weight = state(prefix + ".conv.weight");
            long k = weight.shape[2];
            var conv = g.Conv(y, g.Weight(prefix + ".conv.weight", weight), [k, k, k], pads: Enumerable.Repeat(k / 2, 6).ToArray());
            return g.Relu(g.BatchNorm(conv, prefix + ".bn", state, eps));
        }
        string Sep(string y, string prefix, long kernel, long stride, long padding, long kt, bool gating)
        {
            var s = g.Conv(y, g.Weight(prefix + ".conv_s.weight", state(prefix + ".conv_s.weight")), [1, kernel, kernel],
                strides: [1, stride, stride], pads: [0, padding, padding, 0, padding, padding]);
            s = g.Relu(g.BatchNorm(s, prefix + ".bn_s", state, eps));
            long tp = kt == kernel ? padding : kt / 2;
            var tc = g.Conv(s, g.Weight(prefix + ".conv_t.weight", state(prefix + ".conv_t.weight")), [kt, 1, 1],
                strides: [stride, 1, 1], pads: [tp, 0, 0, tp, 0, 0]);
            tc = g.Relu(g.BatchNorm(tc, prefix + ".bn_t", state, eps));
            return gating ? Gate(tc, prefix + ".gating") : tc;
        }
        string MaxPool(string y, long[] kernel, long[] stride, long[] pads)
            => g.Node("MaxPool", [y], null, ("kernel_shape", kernel), ("strides", stride), ("pads", pads));

        // Stem: 0 SepConv 7 s2, 1 MaxPool (1,3,3), 2 BasicConv 1, 3 SepConv 3, 4 MaxPool (1,3,3).
        long tp0 = Kt(0, 7) == 7 ? 3 : Kt(0, 7) / 2;
        x = Sep(x, "base.0", 7, 2, 3, Kt(0, 7), gating: false);
        (t, h, w) = (VideoOnnxExport.Out(t, Kt(0, 7), 2, tp0, tp0), VideoOnnxExport.Out(h, 7, 2, 3, 3), VideoOnnxExport.Out(w, 7, 2, 3, 3));
        x = MaxPool(x, [1, 3, 3], [1, 2, 2], [0, 1, 1, 0, 1, 1]);
        (h, w) = (VideoOnnxExport.Out(h, 3, 2, 1, 1), VideoOnnxExport.Out(w, 3, 2, 1, 1));
        x = Basic(x, "base.2");
        x = Sep(x, "base.3", 3, 1, 1, Kt(3, 3), gated);
        x = MaxPool(x, [1, 3, 3], [1, 2, 2], [0, 1, 1, 0, 1, 1]);
        (h, w) = (VideoOnnxExport.Out(h, 3, 2, 1, 1), VideoOnnxExport.Out(w, 3, 2, 1, 1));

        for (int index = 5; index < S3DSpecs.LayerCount; index++)
        {
            string prefix = $"base.{index}";
            if (index == 7)
            {
                x = MaxPool(x, [3, 3, 3], [2, 2, 2], [1, 1, 1, 1, 1, 1]);
                (t, h, w) = (VideoOnnxExport.Out(t, 3, 2, 1, 1), VideoOnnxExport.Out(h, 3, 2, 1, 1), VideoOnnxExport.Out(w, 3, 2, 1, 1));
                continue;
            }
            if (index == 13)
            {
                x = MaxPool(x, [2, 2, 2], [2, 2, 2], [0, 0, 0, 0, 0, 0]);
                (t, h, w) = (VideoOnnxExport.Out(t, 2, 2, 0, 0), VideoOnnxExport.Out(h, 2, 2, 0, 0), VideoOnnxExport.Out(w, 2, 2, 0, 0));
                continue;
            }
            long kt = Kt(index, 3);
            var b0 = Basic(x, prefix + ".branch0.0");
            var b1 = Sep(Basic(x, prefix + ".branch1.0"), prefix + ".branch1.1", 3, 1, 1, kt, gating: false);
            var b2 = Sep(Basic(x, prefix + ".branch2.0"), prefix + ".branch2.1", 3, 1, 1, kt, gating: false);
            var b3 = Basic(MaxPool(x, [3, 3, 3], [1, 1, 1], [1, 1, 1, 1, 1, 1]), prefix + ".branch3.1");
            if (gated)
            {
                b0 = Gate(b0, prefix + ".gating_b0");
                b1 = Gate(b1, prefix + ".gating_b1");
                b2 = Gate(b2, prefix + ".gating_b2");
                b3 = Gate(b3, prefix + ".gating_b3");
            }
            x = g.Concat(1, b0, b1, b2, b3);
        }

        // Head: mean over H×W and a temporal window of min(2, T') (stride 1), the 1×1×1 conv fc.0, mean over what is left.
        var pooled = g.ReduceMean(x, [3, 4], keepDims: true);
        long window = Math.Min(2, t);
        pooled = g.Node("AveragePool", [pooled], null, ("kernel_shape", new[] { window, 1L, 1L }), ("strides", new[] { 1L, 1L, 1L }));
        var fc = g.Conv(pooled, g.Weight("fc.0.weight", state("fc.0.weight")), [1, 1, 1], g.Weight("fc.0.bias", state("fc.0.bias")));
        g.Node("ReduceMean", [fc], VideoOnnxExport.OutputName, ("axes", new long[] { 2, 3, 4 }), ("keepdims", 0L));
        g.Output(VideoOnnxExport.OutputName, -1, spec.NumClasses);
    }
}
