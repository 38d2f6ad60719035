using MLNetVideo.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Featurizers.Clip.Modules;

/// <summary>CLIP's pre-norm block: <c>x + attn(ln_1(x))</c>, then <c>x + mlp(ln_2(x))</c>. Names: <c>attn</c>, <c>ln_1</c>,
/// <c>mlp.c_fc</c>, <c>mlp.gelu</c> (weightless), <c>mlp.c_proj</c>, <c>ln_2</c> (OpenAI layout).</summary>
internal sealed class ResidualAttentionBlock : Module<Tensor, Tensor>
{
    private readonly MultiheadSelfAttention attn;
    private readonly LayerNorm ln_1;
    private readonly Sequential mlp;
    private readonly LayerNorm ln_2;

    public ResidualAttentionBlock(long width, long heads, long mlpWidth) : base(nameof(ResidualAttentionBlock))
    {
        attn = new MultiheadSelfAttention(width, heads);
        ln_1 = LayerNorm(width, eps: 1e-5);
        mlp = Sequential(("c_fc", Linear(width, mlpWidth)), ("gelu", new QuickGelu()), ("c_proj", Linear(mlpWidth, width)));
        ln_2 = LayerNorm(width, eps: 1e-5);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, out _, out _, keepQk: false);

    /// <summary>Runs the block on [N, L, W]; returns the block output and, when asked, the attention's q and k.</summary>
    public Tensor Forward(Tensor x, out Tensor? q, out Tensor? k, bool keepQk)
    {
        using var normed = ln_1.call(x);
        using var attended = attn.Forward(normed, out q, out k, keepQk);
        using var h = x.add(attended, HeldScalars.One);   // not x + attended: HeldScalars says why
        using var normed2 = ln_2.call(h);
        using var m = mlp.call(normed2);
        return h.add(m, HeldScalars.One);
    }
}
