using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.S3D.Modules;

/// <summary>
/// Separable 3-D unit: a (1,k,k) spatial conv then a (kt,1,1) temporal conv, each followed by BN and ReLU.
/// State-dict names <c>conv_s</c>, <c>bn_s</c>, <c>conv_t</c>, <c>bn_t</c> (kylemin/S3D <c>SepConv3d</c>); in S3D-G the unit
/// that plays Conv2d_2c_3x3 also owns <c>gating</c> (a <see cref="SelfGating"/> applied after the temporal conv).
/// </summary>
/// <remarks>A temporal kernel of 1 gives the 2-D units of a top-heavy network; the names stay the same.</remarks>
internal sealed class SepConv3d : Module<Tensor, Tensor>
{
    private readonly Conv3d conv_s;
    private readonly BatchNorm3d bn_s;
    private readonly Conv3d conv_t;
    private readonly BatchNorm3d bn_t;
    private readonly SelfGating? gating;

    public SepConv3d(long inChannels, long outChannels, long kernel, long stride, long padding, long temporalKernel,
        S3DBatchNorm batchNorm, bool gated)
        : base(nameof(SepConv3d))
    {
        conv_s = Conv3d(inChannels, outChannels, (1, kernel, kernel), stride: (1, stride, stride), padding: (0, padding, padding), bias: false);
        bn_s = BatchNorm3d(outChannels, eps: batchNorm.Eps, momentum: batchNorm.Momentum);
        long temporalPadding = temporalKernel == kernel ? padding : temporalKernel / 2;
        conv_t = Conv3d(outChannels, outChannels, (temporalKernel, 1, 1), stride: (stride, 1, 1), padding: (temporalPadding, 0, 0), bias: false);
        bn_t = BatchNorm3d(outChannels, eps: batchNorm.Eps, momentum: batchNorm.Momentum);
        gating = gated ? new SelfGating(outChannels) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = functional.relu(bn_s.call(conv_s.call(x)));
        y = functional.relu(bn_t.call(conv_t.call(y)));
        return gating is null ? y : gating.call(y);
    }
}
