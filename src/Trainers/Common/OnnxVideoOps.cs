using MLNetVideo.Onnx;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>Graph pieces shared by the exporters of the frame-stacked ResNet families (TSM, AFNet).</summary>
internal static class OnnxVideoOps
{
    /// <summary>TSM's temporal shift on frames stacked in the batch ([N·T, C, h, w]): channels [0, C/d) take the next
    /// frame's values, [C/d, 2C/d) the previous frame's, zeros at the clip's ends; the rest is unchanged.
    /// Written as Slice + Pad + Concat.</summary>
    public static string TemporalShift(OnnxGraph g, string x, long frames, long channels, long h, long w, int foldDivisor)
    {
        long fold = channels / foldDivisor;
        if (fold == 0)
            return x;
        var grouped = g.Reshape(x, -1, frames, channels, h, w);
        string fromNext, fromPrevious;
        if (frames == 1)
        {
            // Both shifted parts come from outside the clip: zeros.
            var zeros = g.Mul(g.Slice(grouped, 2, 0, 2 * fold), g.Scalar(0f));
            fromNext = g.Slice(zeros, 2, 0, fold);
            fromPrevious = g.Slice(zeros, 2, fold, 2 * fold);
        }
        else
        {
            var first = g.Slice(grouped, 2, 0, fold);
            var second = g.Slice(grouped, 2, fold, 2 * fold);
            fromNext = g.Pad(g.Slice(first, 1, 1, frames), 0, 0, 0, 0, 0, 0, 1, 0, 0, 0);
            fromPrevious = g.Pad(g.Slice(second, 1, 0, frames - 1), 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        var unchanged = g.Slice(grouped, 2, 2 * fold, channels);
        return g.Reshape(g.Concat(2, fromNext, fromPrevious, unchanged), -1, channels, h, w);
    }

    /// <summary>Conv2d without bias followed by BatchNormalization, from state-dict entries <paramref name="conv"/> and
    /// <paramref name="norm"/>.</summary>
    public static string ConvNorm(OnnxGraph g, string x, string conv, string norm, Func<string, Tensor> state, double eps,
        long stride = 1, long padding = 0, long groups = 1)
    {
        var weight = state(conv);
        long k = weight.shape[2];
        var y = g.Conv(x, g.Weight(conv, weight), [k, weight.shape[3]], strides: [stride, stride], pads: [padding, padding, padding, padding], groups: groups);
        return g.BatchNorm(y, norm, state, eps);
    }

    /// <summary>Logits per (pseudo-)frame averaged per video: GlobalAveragePool, <c>fc</c>, mean over <paramref name="segments"/>.</summary>
    public static string FrameAveragedHead(OnnxGraph g, string x, long channels, long segments, int classes, Func<string, Tensor> state)
    {
        var pooled = g.Reshape(g.Node("GlobalAveragePool", [x]), -1, channels);
        var logits = g.Linear(pooled, "fc", state);
        var output = g.Node("ReduceMean", [g.Reshape(logits, -1, segments, classes)], VideoOnnxExport.OutputName, ("axes", new long[] { 1 }), ("keepdims", 0L));
        g.Output(VideoOnnxExport.OutputName, -1, classes);
        return output;
    }
}
