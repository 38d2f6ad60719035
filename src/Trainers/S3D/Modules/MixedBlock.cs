using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.S3D.Modules;

/// <summary>
/// Inception block of S3D: four branches concatenated on channels.
/// <c>branch0</c> = [BasicConv3d 1×1×1]; <c>branch1</c>, <c>branch2</c> = [BasicConv3d 1×1×1, SepConv3d 3];
/// <c>branch3</c> = [MaxPool3d(3, stride 1, pad 1), BasicConv3d 1×1×1] (index 0 is the weightless pool, as in the reference).
/// S3D-G adds <c>gating_b0</c>..<c>gating_b3</c>, one <see cref="SelfGating"/> per branch output before the concat
/// (HowTo100M port naming).
/// </summary>
internal sealed class MixedBlock : Module<Tensor, Tensor>
{
    private readonly Sequential branch0;
    private readonly Sequential branch1;
    private readonly Sequential branch2;
    private readonly Sequential branch3;
    private readonly SelfGating? gating_b0;
    private readonly SelfGating? gating_b1;
    private readonly SelfGating? gating_b2;
    private readonly SelfGating? gating_b3;

    public MixedBlock(long inChannels, S3DInceptionWidths widths, long temporalKernel, S3DBatchNorm batchNorm, bool gated)
        : base(nameof(MixedBlock))
    {
        branch0 = Sequential(new BasicConv3d(inChannels, widths.Branch0, 1, batchNorm));
        branch1 = Sequential(
            new BasicConv3d(inChannels, widths.Branch1Reduce, 1, batchNorm),
            new SepConv3d(widths.Branch1Reduce, widths.Branch1, 3, 1, 1, temporalKernel, batchNorm, gated: false));
        branch2 = Sequential(
            new BasicConv3d(inChannels, widths.Branch2Reduce, 1, batchNorm),
            new SepConv3d(widths.Branch2Reduce, widths.Branch2, 3, 1, 1, temporalKernel, batchNorm, gated: false));
        branch3 = Sequential(
            MaxPool3d(kernel_size: [3, 3, 3], stride: [1, 1, 1], padding: [1, 1, 1]),
            new BasicConv3d(inChannels, widths.Branch3, 1, batchNorm));
        if (gated)
        {
            gating_b0 = new SelfGating(widths.Branch0);
            gating_b1 = new SelfGating(widths.Branch1);
            gating_b2 = new SelfGating(widths.Branch2);
            gating_b3 = new SelfGating(widths.Branch3);
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var x0 = branch0.call(x);
        var x1 = branch1.call(x);
        var x2 = branch2.call(x);
        var x3 = branch3.call(x);
        if (gating_b0 is not null)
        {
            x0 = gating_b0.call(x0);
            x1 = gating_b1!.call(x1);
            x2 = gating_b2!.call(x2);
            x3 = gating_b3!.call(x3);
        }
        return cat([x0, x1, x2, x3], 1);
    }
}
