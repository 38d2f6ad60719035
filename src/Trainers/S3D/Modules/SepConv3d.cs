using MLNetVideo.Trainers.Blocks;
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
    private readonly BatchNorm bn_s;   // GcSafeBatchNorm (base type: see BasicConv3d.bn)
    private readonly Conv3d conv_t;
    private readonly BatchNorm bn_t;   // GcSafeBatchNorm (base type: see BasicConv3d.bn)
    private readonly SelfGating? gating;
    private readonly long[] _spatialStride;
    private readonly long[] _spatialPadding;

    public SepConv3d(long inChannels, long outChannels, long kernel, long stride, long padding, long temporalKernel,
        S3DBatchNorm batchNorm, bool gated)
        : base(nameof(SepConv3d))
    {
        _spatialStride = [1, stride, stride];
        _spatialPadding = [0, padding, padding];
        conv_s = Conv3d(inChannels, outChannels, (1, kernel, kernel), stride: (1, stride, stride), padding: (0, padding, padding), bias: false);
        bn_s = GcSafeBatchNorm.For3d(outChannels, eps: batchNorm.Eps, momentum: batchNorm.Momentum);
        long temporalPadding = temporalKernel == kernel ? padding : temporalKernel / 2;
        conv_t = Conv3d(outChannels, outChannels, (temporalKernel, 1, 1), stride: (stride, 1, 1), padding: (temporalPadding, 0, 0), bias: false);
        bn_t = GcSafeBatchNorm.For3d(outChannels, eps: batchNorm.Eps, momentum: batchNorm.Momentum);
        gating = gated ? new SelfGating(outChannels) : null;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = functional.relu(bn_s.call(SpatialConv(x)));
        y = functional.relu(bn_t.call(conv_t.call(y)));
        return gating is null ? y : gating.call(y);
    }

    /// <summary>
    /// The spatial conv. When its input or output channel count is above 16 and not a multiple of 16, the CPU kernels of
    /// libtorch 2.10 as shipped with TorchSharp-cpu 0.107 read uninitialised memory for k×k (k ≥ 3) convolutions on this
    /// project's x86-64 machines: garbage or NaN outputs (forward) and input gradients (backward, where the output channels
    /// play the input role) that change from call to call. Pinned by <c>SepConv3dTests</c>. Zero-padding the channels of the
    /// input and of the weight to multiples of 16, and dropping the padded output channels, gives the same result through a
    /// correct path; the parameter (and the state-dict entry <c>conv_s.weight</c>) keeps its shape, and gradients flow
    /// through the padding.
    /// </summary>
    internal Tensor SpatialConv(Tensor x)
    {
        var weight = conv_s.weight!;
        long inChannels = weight.shape[1], outChannels = weight.shape[0];
        long padIn = inChannels > 16 && inChannels % 16 != 0 ? 16 - (inChannels % 16) : 0;
        long padOut = outChannels > 16 && outChannels % 16 != 0 ? 16 - (outChannels % 16) : 0;
        if (padIn == 0 && padOut == 0)
            return conv_s.call(x);
        var input = padIn == 0 ? x : functional.pad(x, [0, 0, 0, 0, 0, 0, 0, padIn]);
        var paddedWeight = functional.pad(weight, [0, 0, 0, 0, 0, 0, 0, padIn, 0, padOut]);
        var y = functional.conv3d(input, paddedWeight, null, _spatialStride, _spatialPadding);
        return padOut == 0 ? y : y.narrow(1, 0, outChannels);
    }
}
