using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>Activation of a MoViNet unit.</summary>
internal enum MoViNetActivation
{
    None,
    Swish,
    HardSwish,
    Sigmoid,
    HardSigmoid,

    /// <summary>PyTorch's hard sigmoid relu6(x + 3)/6: what stream models of content version 1 gated with.</summary>
    TorchHardSigmoid,
}

/// <summary>Parameterless activation (keeps its index in a Sequential, like <c>classifier.1</c> of the Atze00 port).</summary>
internal sealed class Activation : Module<Tensor, Tensor>
{
    private readonly MoViNetActivation _kind;

    public Activation(MoViNetActivation kind) : base(nameof(Activation)) => _kind = kind;

    public override Tensor forward(Tensor x) => Apply(x, _kind);

    /// <summary>swish = x·σ(x); hard swish = x·relu6(x+3)/6; hard sigmoid = clip(0.2·x + 0.5, 0, 1), Keras' definition,
    /// which the released stream checkpoints were trained and exported with (docs/components/MoViNet.md, "Activations").</summary>
    public static Tensor Apply(Tensor x, MoViNetActivation kind) => kind switch
    {
        MoViNetActivation.None => x,
        MoViNetActivation.Swish => functional.silu(x),
        MoViNetActivation.HardSwish => functional.hardswish(x),
        MoViNetActivation.Sigmoid => x.sigmoid(),
        MoViNetActivation.HardSigmoid => (x * 0.2 + 0.5).clamp(0.0, 1.0),
        MoViNetActivation.TorchHardSigmoid => functional.hardsigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}

/// <summary>One conv (state-dict <c>conv3d.weight</c>, optional <c>conv3d.bias</c>), optional BN (<c>norm.*</c>) and an
/// activation: the Atze00 <c>ConvBlock</c>. Padding is applied by the caller (TF 'SAME' in space, causal or 'same' in time).</summary>
internal sealed class ConvBlock : Module<Tensor, Tensor>
{
    private readonly Conv3d conv3d;
    private readonly BatchNorm3d? norm;
    private readonly MoViNetActivation _activation;
    private readonly long[] _stride;
    private readonly long _groups;

    public ConvBlock(long inChannels, long outChannels, Triple kernel, Triple stride, long groups, bool bias, bool batchNorm,
        MoViNetActivation activation, double eps, double momentum)
        : base(nameof(ConvBlock))
    {
        conv3d = Conv3d(inChannels, outChannels, (kernel.T, kernel.H, kernel.W), stride: (stride.T, stride.H, stride.W), groups: groups, bias: bias);
        norm = batchNorm ? BatchNorm3d(outChannels, eps: eps, momentum: momentum) : null;
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
            // Temporal conv (the stream (2+1)D part): 2-D conv with a kt×1 kernel on [N, C, T, H·W] (models.md §2.6 #6).
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

/// <summary>
/// A conv unit (Atze00 <c>ConvBlock3D</c>): <c>conv_1</c> is the full (or, in stream mode, spatial 1×k×k) conv + BN + act;
/// in stream mode a temporal kernel k_t &gt; 1 adds <c>conv_2</c>, the causal temporal depthwise (k_t×1×1) conv + BN + act
/// behind a stream buffer of the last k_t − 1 frames of its input (models.md §2.5). Spatial padding is TF 'SAME'
/// (asymmetric at stride 2); base-mode time padding is symmetric 'same'.
/// </summary>
internal sealed class ConvUnit : Module<Tensor, Tensor>
{
    private readonly ConvBlock conv_1;
    private readonly ConvBlock? conv_2;
    private readonly Triple _kernel;
    private readonly Triple _stride;
    private readonly bool _causal;

    /// <summary>Builds the unit.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="outChannels">Output channels.</param>
    /// <param name="kernel">Kernel (t, h, w).</param>
    /// <param name="stride">Stride (t must be 1 when t-kernel &gt; 1).</param>
    /// <param name="depthwise">Depthwise (groups = channels).</param>
    /// <param name="bias">Conv bias.</param>
    /// <param name="batchNorm">BN after the conv(s).</param>
    /// <param name="activation">Activation after BN.</param>
    /// <param name="causal">Stream mode: (2+1)D with causal time.</param>
    /// <param name="stateName">State key prefix, for example "b1_l0"; the stream buffer is "{stateName}.stream_buffer".</param>
    /// <param name="eps">BN eps.</param>
    /// <param name="momentum">BN momentum.</param>
    public ConvUnit(long inChannels, long outChannels, Triple kernel, Triple stride, bool depthwise, bool bias, bool batchNorm,
        MoViNetActivation activation, bool causal, string stateName, double eps, double momentum)
        : base(nameof(ConvUnit))
    {
        _kernel = kernel;
        _stride = stride;
        _causal = causal;
        StateName = $"{stateName}.stream_buffer";
        long groups = depthwise ? inChannels : 1;
        if (causal && kernel.T > 1)
        {
            conv_1 = new ConvBlock(inChannels, outChannels, kernel with { T = 1 }, stride, groups, bias, batchNorm, activation, eps, momentum);
            conv_2 = new ConvBlock(outChannels, outChannels, new Triple(kernel.T, 1, 1), Triple.One, depthwise ? outChannels : 1, bias, batchNorm, activation, eps, momentum);
        }
        else
        {
            conv_1 = new ConvBlock(inChannels, outChannels, kernel, stride, groups, bias, batchNorm, activation, eps, momentum);
        }
        RegisterComponents();
    }

    /// <summary>Name of this unit's stream buffer in the session state ("bX_lY.stream_buffer"), when it has one.</summary>
    public string StateName { get; }

    /// <summary>Whether this unit carries a stream buffer (stream mode with k_t &gt; 1).</summary>
    public bool HasStreamBuffer => conv_2 is not null;

    /// <summary>Frames kept in the stream buffer (k_t − 1).</summary>
    public int BufferFrames => _kernel.T - 1;

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>Applies the unit; with a state, the temporal conv continues from the buffered frames and updates them.</summary>
    /// <param name="x">[N, C, T, H, W].</param>
    /// <param name="state">Streaming state, or null for a whole clip (causal zero padding in stream mode).</param>
    /// <returns>[N, C', T, H', W'].</returns>
    public Tensor Forward(Tensor x, MoViNetStreamState? state)
    {
        x = SamePadSpatial(x, _kernel, _stride);
        if (conv_2 is null)
        {
            if (_kernel.T > 1)
            {
                long total = _kernel.T - 1;
                x = functional.pad(x, [0, 0, 0, 0, total / 2, total - (total / 2)]);
            }
            return conv_1.call(x);
        }
        var y = conv_1.call(x);
        long keep = _kernel.T - 1;
        Tensor full;
        if (state is null)
        {
            full = functional.pad(y, [0, 0, 0, 0, keep, 0]);
        }
        else
        {
            var buffer = state.GetOrZeros(StateName, [y.shape[0], y.shape[1], keep, y.shape[3], y.shape[4]], y);
            full = cat([buffer, y], 2);
            state.Set(StateName, full.narrow(2, full.shape[2] - keep, keep));
        }
        return conv_2.call(full);
    }

    /// <summary>TF 'SAME' spatial padding: out = ceil(in / stride); extra padding goes after (bottom/right).</summary>
    internal static Tensor SamePadSpatial(Tensor x, Triple kernel, Triple stride)
    {
        var (top, bottom) = SamePad(x.shape[3], kernel.H, stride.H);
        var (left, right) = SamePad(x.shape[4], kernel.W, stride.W);
        return top + bottom + left + right == 0 ? x : functional.pad(x, [left, right, top, bottom]);
    }

    internal static (long Before, long After) SamePad(long size, long kernel, long stride)
    {
        long output = (size + stride - 1) / stride;
        long total = Math.Max(((output - 1) * stride) + kernel - size, 0);
        return (total / 2, total - (total / 2));
    }
}
