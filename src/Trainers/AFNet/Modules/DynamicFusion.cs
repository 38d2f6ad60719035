using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>
/// The reference's <c>dynamic_fusion</c> (<c>att_gen</c>): per-frame channel attention a = σ(FC₂(ReLU(FC₁(GAP(x))))) with
/// bias-free FCs (<c>fc.0</c>: C→C/r, <c>fc.2</c>: C/r→C), weights N(0, 0.01).
/// </summary>
internal sealed class DynamicFusion : Module<Tensor, Tensor>
{
    private readonly Sequential fc;
    private readonly Linear[] _linears;   // fc.0 and fc.2 (an array field, so not registered twice)

    public DynamicFusion(long channels, int reduction) : base(nameof(DynamicFusion))
    {
        long hidden = Math.Max(1, channels / reduction);
        _linears = [Linear(channels, hidden, hasBias: false), Linear(hidden, channels, hasBias: false)];
        fc = Sequential(_linears[0], ReLU(), _linears[1], Sigmoid());
        RegisterComponents();
        InitialiseWeights();
    }

    /// <summary>The reference's initialisation of the two FCs: N(0, 0.01).</summary>
    internal void InitialiseWeights()
    {
        using var noGrad = no_grad();
        foreach (var linear in _linears)
            init.normal_(linear.weight!, 0, 0.01);
    }

    /// <summary>Attention weights [N·T, C, 1, 1] for <paramref name="x"/> [N·T, C, h, w].</summary>
    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>As <see cref="forward(Tensor)"/>, counting the two FCs for every frame in <paramref name="trace"/>.</summary>
    public Tensor forward(Tensor x, AFNetExecutionTrace? trace)
    {
        var pooled = functional.adaptive_avg_pool2d(x, 1).flatten(1);
        return FromPooled(pooled, trace).reshape(x.shape[0], x.shape[1], 1, 1);
    }

    /// <summary>Attention weights [N·T, C] from the already pooled input [N·T, C], counting the two FCs in <paramref name="trace"/>.</summary>
    public Tensor FromPooled(Tensor pooled, AFNetExecutionTrace? trace)
    {
        var attention = fc.call(pooled);
        if (trace is not null)
        {
            foreach (var linear in _linears)
                trace.Linear(linear, trace.Frames);
        }
        return attention;
    }
}
