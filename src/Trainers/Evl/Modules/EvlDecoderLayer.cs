using MLNetVideo.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.Evl.Modules;

/// <summary>One EVL decoder layer (official <c>TransformerDecoderLayer</c>): <c>x + attn(norm1(x), norm3(y), norm3(y))</c>, then
/// <c>x + mlp(norm2(x))</c> with <c>mlp = fc1 → act (QuickGELU) → dropout → fc2</c>.</summary>
internal sealed class EvlDecoderLayer : Module<Tensor, Tensor, Tensor>
{
    private readonly EvlAttention attn;
    private readonly Sequential mlp;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly LayerNorm norm3;

    public EvlDecoderLayer(long width, long heads, long mlpWidth, double mlpDropout) : base("TransformerDecoderLayer")
    {
        attn = new EvlAttention(width, heads);
        var fc1 = Linear(width, mlpWidth);
        var fc2 = Linear(mlpWidth, width);
        foreach (var linear in new[] { fc1, fc2 })
        {
            init.xavier_uniform_(linear.weight!);
            init.normal_(linear.bias!, std: 1e-6);
        }
        mlp = Sequential(("fc1", fc1), ("act", new EvlQuickGelu()), ("dropout", Dropout(mlpDropout)), ("fc2", fc2));
        norm1 = LayerNorm(width);
        norm2 = LayerNorm(width);
        norm3 = LayerNorm(width);
        RegisterComponents();
    }

    /// <summary>x [N, 1, C] (the query), y [N, T·L, C] (the memory) → [N, 1, C].</summary>
    public override Tensor forward(Tensor x, Tensor y)
    {
        using var scope = NewDisposeScope();
        var yNorm = norm3.call(y);
        x = x.add(attn.call(norm1.call(x), yNorm, yNorm), HeldScalars.One);   // not x + …: HeldScalars says why
        x = x.add(mlp.call(norm2.call(x)), HeldScalars.One);
        return x.MoveToOuterDisposeScope();
    }
}
