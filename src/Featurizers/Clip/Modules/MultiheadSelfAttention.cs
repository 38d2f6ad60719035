using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Featurizers.Clip.Modules;

/// <summary>
/// PyTorch <c>nn.MultiheadAttention</c> as CLIP uses it (self-attention, fused projection): state-dict names
/// <c>in_proj_weight [3W, W]</c> (rows q|k|v), <c>in_proj_bias [3W]</c>, <c>out_proj.{weight,bias}</c>. Unlike PyTorch's, it can
/// also return the unscaled q and k, [N, L, W] with heads concatenated, which EVL's inter-frame attention needs.
/// </summary>
internal sealed class MultiheadSelfAttention : Module<Tensor, Tensor>
{
    private readonly Parameter in_proj_weight;
    private readonly Parameter in_proj_bias;
    private readonly Linear out_proj;
    private readonly long _width;
    private readonly long _heads;

    public MultiheadSelfAttention(long width, long heads) : base(nameof(MultiheadSelfAttention))
    {
        _width = width;
        _heads = heads;
        in_proj_weight = Parameter(empty(3 * width, width));
        in_proj_bias = Parameter(zeros(3 * width));
        out_proj = Linear(width, width);
        init.xavier_uniform_(in_proj_weight);
        using (no_grad())
            out_proj.bias!.zero_();
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, out _, out _, keepQk: false);

    /// <summary>Self-attention over [N, L, W]; <paramref name="q"/>/<paramref name="k"/> are [N, L, W] when requested (else null).</summary>
    public Tensor Forward(Tensor x, out Tensor? q, out Tensor? k, bool keepQk)
    {
        long n = x.shape[0], l = x.shape[1], d = _width / _heads;
        var qkv = functional.linear(x, in_proj_weight, in_proj_bias).chunk(3, -1);
        q = keepQk ? qkv[0] : null;
        k = keepQk ? qkv[1] : null;
        using var qh = qkv[0].view(n, l, _heads, d).transpose(1, 2);
        using var kh = qkv[1].view(n, l, _heads, d).transpose(1, 2);
        using var vh = qkv[2].view(n, l, _heads, d).transpose(1, 2);
        using var attended = functional.scaled_dot_product_attention(qh, kh, vh);
        using var merged = attended.transpose(1, 2).reshape(n, l, _width);
        return out_proj.call(merged);
    }
}
