using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>
/// A conv unit (Atze00 <c>ConvBlock3D</c>): <c>conv_1</c> is the full (or, in stream mode, spatial 1×k×k) conv + BN + act;
/// in stream mode a temporal kernel k_t &gt; 1 adds <c>conv_2</c>, the causal temporal depthwise (k_t×1×1) conv + BN + act
/// behind a stream buffer of the last k_t − 1 frames of its input (Model Garden movinet.py). Spatial padding is TF 'SAME'
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
