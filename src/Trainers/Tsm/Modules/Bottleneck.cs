using MLNetVideo.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.Tsm.Modules;

/// <summary>
/// torchvision's ResNet <c>Bottleneck</c> (1×1 → 3×3 with the stride → 1×1 ×4, "ResNet v1.5") with TSM's "blockres"
/// temporal shift on the residual branch: <c>conv1</c> is wrapped in a <see cref="TemporalShift"/>, so the keys are
/// <c>conv1.net.weight</c>, <c>bn1.*</c>, <c>conv2.weight</c>, <c>bn2.*</c>, <c>conv3.weight</c>, <c>bn3.*</c>,
/// <c>downsample.0.weight</c>, <c>downsample.1.*</c>, as in the TSM reference checkpoints (<c>layer1.0.conv1.net.weight</c>).
/// </summary>
internal sealed class Bottleneck : TsmBlock
{
    internal const int Expansion = 4;

    private readonly TemporalShift conv1;
    private readonly GcSafeBatchNorm bn1;
    private readonly Conv2d conv2;
    private readonly GcSafeBatchNorm bn2;
    private readonly Conv2d conv3;
    private readonly GcSafeBatchNorm bn3;
    private readonly Sequential? downsample;
    private readonly long _stride;

    public Bottleneck(long inChannels, long planes, long stride, int shiftDivisor, TsmBatchNorm bn) : base(nameof(Bottleneck))
    {
        conv1 = new TemporalShift(Conv2d(inChannels, planes, 1, bias: false), segmentCount: 1, shiftDivisor);
        bn1 = GcSafeBatchNorm.For2d(planes, eps: bn.Eps, momentum: bn.Momentum);
        conv2 = Conv2d(planes, planes, 3, stride: stride, padding: 1, bias: false);
        bn2 = GcSafeBatchNorm.For2d(planes, eps: bn.Eps, momentum: bn.Momentum);
        conv3 = Conv2d(planes, planes * Expansion, 1, bias: false);
        bn3 = GcSafeBatchNorm.For2d(planes * Expansion, eps: bn.Eps, momentum: bn.Momentum);
        _stride = stride;
        downsample = Downsample(inChannels, planes * Expansion, stride, bn);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, int segments)
    {
        var y = functional.relu(bn1.call(conv1.forward(x, segments)));
        y = functional.relu(bn2.call(conv2.call(y)));
        y = bn3.call(conv3.call(y));
        var identity = Shortcut(downsample, x, _stride);
        return functional.relu(y.add(identity, HeldScalars.One));   // not y + identity: HeldScalars says why
    }
}
