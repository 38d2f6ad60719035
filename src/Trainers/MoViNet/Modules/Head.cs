using MLNetVideo.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>
/// The head pooling and classifier: global average over T, H, W of the <c>conv7</c> features (in stream mode the time
/// average is cumulative across calls: running sum "head.pool_sum" [N, C_head, 1, 1, 1] and the session's frame count), then
/// <c>classifier.0</c> (1×1×1 conv to the hidden width, bias), <c>classifier.1</c> (activation), <c>classifier.2</c>
/// (dropout), <c>classifier.3</c> (1×1×1 conv to the classes, bias).
/// </summary>
internal sealed class Head
{
    /// <summary>State name of the head's running sum.</summary>
    public const string PoolSumName = "head.pool_sum";

    private readonly Sequential classifier;

    public Head(MoViNetHeadSpec head, int numClasses, double dropout, MoViNetActivation activation, bool causal, double eps, double momentum)
    {
        classifier = Sequential(
            new ConvUnit(head.ProjectChannels, head.HiddenChannels, Triple.One, Triple.One, false, true, false, MoViNetActivation.None, causal, "head", eps, momentum),
            new Activation(activation),
            Dropout(dropout),
            new ConvUnit(head.HiddenChannels, numClasses, Triple.One, Triple.One, false, true, false, MoViNetActivation.None, causal, "head", eps, momentum));
    }

    /// <summary>The classifier (registered by the network under the name <c>classifier</c>; this helper owns no module of its own).</summary>
    public Sequential Classifier => classifier;

    /// <summary>Logits from the head features.</summary>
    /// <param name="x">[N, C_head, T, H, W].</param>
    /// <param name="state">Streaming state (running sum and count), or null for the clip alone.</param>
    /// <param name="perFrame">Return the logits after every frame [N, T, classes] (cumulative average) instead of [N, classes].</param>
    /// <returns>Logits.</returns>
    public Tensor Forward(Tensor x, MoViNetStreamState? state, bool perFrame)
    {
        var frameMeans = x.mean([3L, 4L], keepdim: true);   // [N, C, T, 1, 1]
        long seen = state?.FramesSeen ?? 0;
        long t = x.shape[2];
        Tensor pooled;
        if (perFrame)
        {
            var sums = frameMeans.cumsum(2);
            if (state is not null)
            {
                sums = sums.add(state.GetOrZeros(PoolSumName, [x.shape[0], x.shape[1], 1, 1, 1], x), HeldScalars.One);   // held alpha: HeldScalars
                state.Set(PoolSumName, sums.narrow(2, t - 1, 1));
            }
            pooled = sums / arange(seen + 1, seen + t + 1, dtype: x.dtype, device: x.device).view(1, 1, -1, 1, 1);
            return classifier.call(pooled).flatten(2).transpose(1, 2);
        }
        var sum = frameMeans.sum([2L], keepdim: true);
        if (state is not null)
        {
            sum = sum.add(state.GetOrZeros(PoolSumName, [x.shape[0], x.shape[1], 1, 1, 1], x), HeldScalars.One);
            state.Set(PoolSumName, sum);
        }
        using var frames = (seen + t).ToScalar();
        pooled = sum.div(frames);
        return classifier.call(pooled).flatten(1);
    }
}
