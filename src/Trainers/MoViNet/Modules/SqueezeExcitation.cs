using MLNetVideo.Runtime;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>
/// Squeeze-and-excitation (<c>se.fc1</c>, <c>se.fc2</c>). Base: global average over T, H, W → fc1 (C→h, bias) + act →
/// fc2 (h→C, bias) → sigmoid gate. Stream (CausalSE, <c>se_type='2plus3d'</c>): per-frame spatial mean s_t, causal
/// cumulative mean c_t = (S_prev + Σ_{τ≤t} s_τ) / (n + t + 1), input concat(c_t, s_t) (2C) → fc1 → act → fc2 → hard-sigmoid
/// gate per frame. The running sum S is the state "{name}.se_pool_sum" [N, C, 1, 1, 1]; n is the session's frame count.
/// </summary>
internal sealed class SqueezeExcitation : Module<Tensor, Tensor>
{
    private readonly ConvUnit fc1;
    private readonly ConvUnit fc2;
    private readonly bool _causal;
    private readonly MoViNetActivation _gate;

    public SqueezeExcitation(long channels, long hidden, bool causal, MoViNetActivation activation, MoViNetActivation gate, string stateName,
        double eps, double momentum)
        : base(nameof(SqueezeExcitation))
    {
        _causal = causal;
        _gate = gate;
        StateName = $"{stateName}.se_pool_sum";
        fc1 = new ConvUnit(causal ? 2 * channels : channels, hidden, Triple.One, Triple.One, false, true, false, activation, causal, stateName, eps, momentum);
        fc2 = new ConvUnit(hidden, channels, Triple.One, Triple.One, false, true, false, MoViNetActivation.None, causal, stateName, eps, momentum);
        RegisterComponents();
    }

    /// <summary>Name of the running pooled sum in the session state (stream mode).</summary>
    public string StateName { get; }

    public override Tensor forward(Tensor x) => Forward(x, null);

    public Tensor Forward(Tensor x, MoViNetStreamState? state)
    {
        Tensor pooled;
        if (!_causal)
        {
            pooled = x.mean([2L, 3L, 4L], keepdim: true);
        }
        else
        {
            var frameMeans = x.mean([3L, 4L], keepdim: true);                       // [N, C, T, 1, 1]
            var sums = frameMeans.cumsum(2);
            long seen = 0;
            if (state is not null)
            {
                seen = state.FramesSeen;
                var previous = state.GetOrZeros(StateName, [x.shape[0], x.shape[1], 1, 1, 1], x);
                sums = sums.add(previous, HeldScalars.One);   // held alpha: HeldScalars
                state.Set(StateName, sums.narrow(2, sums.shape[2] - 1, 1));
            }
            var counts = arange(seen + 1, seen + x.shape[2] + 1, dtype: x.dtype, device: x.device).view(1, 1, -1, 1, 1);
            pooled = cat([sums / counts, frameMeans], 1);
        }
        var g = fc2.Forward(fc1.Forward(pooled, state), state);
        return x * Activation.Apply(g, _gate);
    }
}
