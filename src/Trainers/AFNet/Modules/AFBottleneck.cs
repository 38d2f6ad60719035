using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>
/// The reference's <c>Bottleneck_ample</c> / <c>Bottleneck_focal</c>: 1×1 → 3×3 (the stride) → 1×1, inner width = output / 4,
/// BN after each conv, all three convs with <c>groups</c> (2 in focal blocks, 1 in ample ones). Keys <c>conv1</c>, <c>bn1</c>,
/// <c>conv2</c>, <c>bn2</c>, <c>conv3</c>, <c>bn3</c>, <c>downsample.*</c>.
/// </summary>
internal sealed class AFBottleneck : AFBlock
{
    private readonly Conv2d conv1;
    private readonly GcSafeBatchNorm bn1;
    private readonly Conv2d conv2;
    private readonly GcSafeBatchNorm bn2;
    private readonly Conv2d conv3;
    private readonly GcSafeBatchNorm bn3;
    private readonly Sequential? downsample;

    public AFBottleneck(long inChannels, long outChannels, long stride, long groups, Sequential? shortcut, bool lastRelu, TsmBatchNorm bn)
        : base(nameof(AFBottleneck), lastRelu)
    {
        long inner = outChannels / 4;
        conv1 = Conv2d(inChannels, inner, 1, bias: false, groups: groups);
        bn1 = GcSafeBatchNorm.For2d(inner, eps: bn.Eps, momentum: bn.Momentum);
        conv2 = Conv2d(inner, inner, 3, stride: stride, padding: 1, bias: false, groups: groups);
        bn2 = GcSafeBatchNorm.For2d(inner, eps: bn.Eps, momentum: bn.Momentum);
        conv3 = Conv2d(inner, outChannels, 1, bias: false, groups: groups);
        bn3 = GcSafeBatchNorm.For2d(outChannels, eps: bn.Eps, momentum: bn.Momentum);
        downsample = shortcut;
        RegisterComponents();
    }

    /// <summary>Builds the block with the reference shortcut for its shape.</summary>
    public static AFBottleneck Create(long inChannels, long outChannels, long stride, long groups, bool lastRelu, TsmBatchNorm bn)
        => new(inChannels, outChannels, stride, groups, Downsample(inChannels, outChannels, stride, bn), lastRelu, bn);

    protected override Sequential? Shortcut => downsample;

    internal override GcSafeBatchNorm LastNorm => bn3;

    protected override Tensor Branch(Tensor x, AFNetExecutionTrace? trace, long[]? framesPerClip)
    {
        var y = conv1.call(x);
        trace?.Conv(conv1, y, framesPerClip);
        y = functional.relu(bn1.call(y));
        y = conv2.call(y);
        trace?.Conv(conv2, y, framesPerClip);
        y = functional.relu(bn2.call(y));
        y = conv3.call(y);
        trace?.Conv(conv3, y, framesPerClip);
        return bn3.call(y);
    }
}
