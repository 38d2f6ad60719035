using MLNetVideo.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.Tsm.Modules;

/// <summary>
/// torchvision's ResNet <c>BasicBlock</c> (two 3×3 convs) with TSM's "blockres" temporal shift on the residual branch:
/// <c>conv1</c> is wrapped in a <see cref="TemporalShift"/>, so its keys are <c>conv1.net.weight</c> as in the TSM
/// reference checkpoints. Keys: <c>conv1.net.weight</c>, <c>bn1.*</c>, <c>conv2.weight</c>, <c>bn2.*</c>,
/// <c>downsample.0.weight</c>, <c>downsample.1.*</c> (projection shortcut only where shape changes).
/// </summary>
internal sealed class BasicBlock : TsmBlock
{
    private readonly TemporalShift conv1;
    private readonly GcSafeBatchNorm bn1;
    private readonly Conv2d conv2;
    private readonly GcSafeBatchNorm bn2;
    private readonly Sequential? downsample;
    private readonly long _stride;

    public BasicBlock(long inChannels, long planes, long stride, int shiftDivisor, TsmBatchNorm bn) : base(nameof(BasicBlock))
    {
        conv1 = new TemporalShift(Conv2d(inChannels, planes, 3, stride: stride, padding: 1, bias: false), segmentCount: 1, shiftDivisor);
        bn1 = GcSafeBatchNorm.For2d(planes, eps: bn.Eps, momentum: bn.Momentum);
        conv2 = Conv2d(planes, planes, 3, stride: 1, padding: 1, bias: false);
        bn2 = GcSafeBatchNorm.For2d(planes, eps: bn.Eps, momentum: bn.Momentum);
        _stride = stride;
        downsample = Downsample(inChannels, planes, stride, bn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, int segments)
    {
        var y = functional.relu(bn1.call(conv1.forward(x, segments)));
        y = bn2.call(conv2.call(y));
        var identity = Shortcut(downsample, x, _stride);
        return functional.relu(y.add(identity, HeldScalars.One));   // not y + identity: HeldScalars says why
    }
}
