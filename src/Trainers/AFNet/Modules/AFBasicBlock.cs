using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>
/// Basic-block counterpart of <see cref="AFBottleneck"/> for AF-ResNet-18 (not in the reference code): 3×3 (the stride) →
/// 3×3, BN after each, both convs with <c>groups</c>. Keys <c>conv1</c>, <c>bn1</c>, <c>conv2</c>, <c>bn2</c>, <c>downsample.*</c>.
/// </summary>
internal sealed class AFBasicBlock : AFBlock
{
    private readonly Conv2d conv1;
    private readonly GcSafeBatchNorm bn1;
    private readonly Conv2d conv2;
    private readonly GcSafeBatchNorm bn2;
    private readonly Sequential? downsample;

    public AFBasicBlock(long inChannels, long outChannels, long stride, long groups, bool lastRelu, TsmBatchNorm bn)
        : base(nameof(AFBasicBlock), lastRelu)
    {
        conv1 = Conv2d(inChannels, outChannels, 3, stride: stride, padding: 1, bias: false, groups: groups);
        bn1 = GcSafeBatchNorm.For2d(outChannels, eps: bn.Eps, momentum: bn.Momentum);
        conv2 = Conv2d(outChannels, outChannels, 3, padding: 1, bias: false, groups: groups);
        bn2 = GcSafeBatchNorm.For2d(outChannels, eps: bn.Eps, momentum: bn.Momentum);
        downsample = Downsample(inChannels, outChannels, stride, bn);
        RegisterComponents();
    }

    protected override Sequential? Shortcut => downsample;

    internal override GcSafeBatchNorm LastNorm => bn2;

    protected override Tensor Branch(Tensor x, AFNetExecutionTrace? trace, long[]? framesPerClip)
    {
        var y = conv1.call(x);
        trace?.Conv(conv1, y, framesPerClip);
        y = functional.relu(bn1.call(y));
        y = conv2.call(y);
        trace?.Conv(conv2, y, framesPerClip);
        return bn2.call(y);
    }
}
