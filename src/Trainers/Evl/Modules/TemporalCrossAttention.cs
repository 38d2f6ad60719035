using TorchSharp;
using MLNetVideo.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.Evl.Modules;

/// <summary>
/// EVL's inter-frame attention feature (official <c>TemporalCrossAttention</c>, OpenGVLab/efficient-video-recognition): for each frame, the
/// head-averaged softmax affinity of its patch queries to the previous (and next) frame's patch keys weights learned
/// relative-offset vectors <c>w1</c> (previous) and <c>w2</c> (next), each [(2h−1)(2w−1), C], zero-initialised.
/// </summary>
internal sealed class TemporalCrossAttention : Module<Tensor, Tensor, Tensor>
{
    private readonly Parameter w1;
    private readonly Parameter w2;
    private readonly long[] _index;
    private readonly long _patches;
    private readonly long _heads;

    public TemporalCrossAttention(int grid, long width, long heads) : base(nameof(TemporalCrossAttention))
    {
        long rows = (2L * grid - 1) * (2L * grid - 1);
        w1 = Parameter(zeros(rows, width));
        w2 = Parameter(zeros(rows, width));
        _heads = heads;
        _patches = (long)grid * grid;
        _index = new long[_patches * _patches];
        for (int q = 0; q < _patches; q++)
            for (int k = 0; k < _patches; k++)
            {
                int qi = q / grid, qj = q % grid, ki = k / grid, kj = k % grid;
                _index[q * _patches + k] = (qi - ki + grid - 1) * (2L * grid - 1) + (qj - kj + grid - 1);
            }
        RegisterComponents();
    }

    /// <summary>q, k [N, T, L, C] (CLS first, heads concatenated along C) → feature [N, T, L − 1, C] for the patch tokens.</summary>
    public override Tensor forward(Tensor q, Tensor k)
    {
        using var scope = NewDisposeScope();
        long n = q.shape[0], t = q.shape[1], l = q.shape[2], c = w1.shape[1];
        if (t == 1)
            return zeros(n, 1, l - 1, c, dtype: w1.dtype, device: w1.device).MoveToOuterDisposeScope();
        var index = tensor(_index, device: w1.device);
        var edge = zeros(n, 1, l - 1, c, dtype: w1.dtype, device: w1.device);
        var fromPrevious = Half(q.narrow(1, 1, t - 1), k.narrow(1, 0, t - 1), w1, index);   // frames 1..T-1
        var fromNext = Half(q.narrow(1, 0, t - 1), k.narrow(1, 1, t - 1), w2, index);       // frames 0..T-2
        return cat([edge, fromPrevious], 1).add(cat([fromNext, edge], 1), HeldScalars.One).MoveToOuterDisposeScope();   // held alpha: HeldScalars
    }

    private Tensor Half(Tensor q, Tensor k, Tensor w, Tensor index)
    {
        long n = q.shape[0], t = q.shape[1], l = q.shape[2], c = q.shape[3], d = c / _heads;
        using var scale = Math.Sqrt(d).ToScalar();
        var qh = q.narrow(2, 1, l - 1).reshape(n, t, l - 1, _heads, d).div(scale);
        var kh = k.narrow(2, 1, l - 1).reshape(n, t, l - 1, _heads, d);
        var attn = einsum("ntqhd,ntkhd->ntqkh", qh, kh).softmax(-2).mean([-1]);        // [N, T, P, P]
        var unrolled = w.index_select(0, index).view(_patches, _patches, w.shape[1]);  // [P, P, C]
        return einsum("ntqk,qkc->ntqc", attn, unrolled);
    }
}
