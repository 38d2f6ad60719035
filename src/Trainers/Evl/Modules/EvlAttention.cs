using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.Evl.Modules;

/// <summary>EVL's cross attention (<c>Attention</c> in the official model.py): separate <c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c>,
/// <c>out_proj</c> Linear layers with bias (xavier-uniform weights, zero biases), softmax over keys, scale 1/√d.</summary>
internal sealed class EvlAttention : Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly Linear out_proj;
    private readonly long _heads;

    public EvlAttention(long width, long heads) : base("Attention")
    {
        _heads = heads;
        q_proj = Linear(width, width);
        k_proj = Linear(width, width);
        v_proj = Linear(width, width);
        out_proj = Linear(width, width);
        foreach (var linear in new[] { q_proj, k_proj, v_proj, out_proj })
        {
            init.xavier_uniform_(linear.weight!);
            init.constant_(linear.bias!, 0);
        }
        RegisterComponents();
    }

    /// <summary>q [N, Lq, C], k and v [N, Lk, C] → [N, Lq, C].</summary>
    public override Tensor forward(Tensor q, Tensor k, Tensor v)
    {
        using var scope = NewDisposeScope();
        long n = q.shape[0], lq = q.shape[1], lk = k.shape[1], c = q.shape[2], d = c / _heads;
        var qh = q_proj.call(q).view(n, lq, _heads, d).transpose(1, 2);
        var kh = k_proj.call(k).view(n, lk, _heads, d).transpose(1, 2);
        var vh = v_proj.call(v).view(n, lk, _heads, d).transpose(1, 2);
        var attended = functional.scaled_dot_product_attention(qh, kh, vh).transpose(1, 2).reshape(n, lq, c);
        return out_proj.call(attended).MoveToOuterDisposeScope();
    }
}
