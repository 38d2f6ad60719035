using MLNetVideo.Trainers.Blocks;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>One conv (state-dict <c>conv3d.weight</c>, optional <c>conv3d.bias</c>), optional BN (<c>norm.*</c>) and an
/// activation: the Atze00 <c>ConvBlock</c>. Padding is applied by the caller (TF 'SAME' in space, causal or 'same' in time).</summary>
internal sealed class ConvBlock : Module<Tensor, Tensor>
{
    private readonly Conv3d conv3d;
    private readonly GcSafeBatchNorm? norm;
    private readonly MoViNetActivation _activation;
    private readonly long[] _stride;
    private readonly long _groups;

    public ConvBlock(long inChannels, long outChannels, Triple kernel, Triple stride, long groups, bool bias, bool batchNorm,
        MoViNetActivation activation, double eps, double momentum)
        : base(nameof(ConvBlock))
    {
        conv3d = Conv3d(inChannels, outChannels, (kernel.T, kernel.H, kernel.W), stride: (stride.T, stride.H, stride.W), groups: groups, bias: bias);
        norm = batchNorm ? GcSafeBatchNorm.For3d(outChannels, eps: eps, momentum: momentum) : null;
        _activation = activation;
        _stride = stride.ToArray();
        _groups = groups;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var y = AlignedConv(x);
        if (norm is not null) y = norm.call(y);
        return Activation.Apply(y, _activation);
    }

    /// <summary>
    /// The conv, through the libtorch CPU workaround of <c>SepConv3d</c> (S3D): for k×k kernels (k ≥ 3) whose input or
    /// output channel count is above 16 and not a multiple of 16, libtorch 2.10 (TorchSharp-cpu 0.107) reads uninitialised
    /// memory on x86-64. Channels of the input and weight are zero-padded to multiples of 16 (for a depthwise conv, the
    /// groups grow with them) and the padded outputs dropped; the parameter keeps its checkpoint shape. 1×1 kernels are
    /// unaffected and take the plain path.
    /// </summary>
    private Tensor AlignedConv(Tensor x)
    {
        var weight = conv3d.weight!;
        var bias = conv3d.bias;
        long outChannels = weight.shape[0], inChannels = weight.shape[1] * _groups;
        long kt = weight.shape[2], kh = weight.shape[3], kw = weight.shape[4];
        bool depthwise = _groups > 1 && _groups == outChannels && weight.shape[1] == 1;
        static long Pad(long c) => c > 16 && c % 16 != 0 ? 16 - (c % 16) : 0;
        long padIn = 0, padOut = 0;
        if (kh > 1 || kw > 1 || kt > 1)
        {
            if (depthwise) padIn = padOut = Pad(outChannels);
            else if (_groups == 1) (padIn, padOut) = (Pad(inChannels), Pad(outChannels));
        }
        if (padIn != 0) x = functional.pad(x, [0, 0, 0, 0, 0, 0, 0, padIn]);
        long groups = depthwise ? outChannels + padOut : _groups;
        var w = padIn == 0 && padOut == 0 ? weight
            : depthwise ? functional.pad(weight, [0, 0, 0, 0, 0, 0, 0, 0, 0, padOut])
            : functional.pad(weight, [0, 0, 0, 0, 0, 0, 0, padIn, 0, padOut]);
        var b = bias is null || padOut == 0 ? bias : functional.pad(bias, [0, padOut]);
        Tensor y;
        long n = x.shape[0], c = x.shape[1], t = x.shape[2], h = x.shape[3], wd = x.shape[4];
        // Frame-wise kernels (kt = 1) stay conv3d: folding T into the batch for conv2d was faster but gave different results
        // for one-frame pushes (batch N·T = 1) in TorchSharp-cpu 0.107, breaking stream/whole-clip equality.
        if (kh == 1 && kw == 1 && kt > 1 && _stride[1] == 1 && _stride[2] == 1)
        {
            // Temporal conv (the stream (2+1)D part): 2-D conv with a kt×1 kernel on [N, C, T, H·W] (Model Garden movinet.py).
            var y2 = functional.conv2d(x.reshape(n, c, t, h * wd), w.squeeze(-1), b, [_stride[0], 1], groups: groups);
            y = y2.reshape(n, y2.shape[1], y2.shape[2], h, wd);
        }
        else
        {
            y = functional.conv3d(x, w, b, _stride, groups: groups);
        }
        return padOut == 0 ? y : y.narrow(1, 0, outChannels);
    }
}
