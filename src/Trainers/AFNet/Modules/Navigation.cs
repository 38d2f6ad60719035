using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>
/// The reference's <c>navigation</c> module (BeSpontaneous/AFNet-pytorch): global average pool → 1×1 conv C→2 (<c>conv_pool</c>, no bias)
/// → BN(2) (<c>bn</c>) → ReLU → reshape to [N, 2T, 1, 1] → grouped 1×1 conv 2T→2T with T groups and bias (<c>conv_gs</c>: one
/// 2×2 map per frame) → per-frame [skip, keep] logits [N, T, 2]. The <c>conv_gs</c> bias starts at [1, 10] per frame, so
/// every frame starts selected.
/// </summary>
internal sealed class Navigation : Module
{
    private readonly Conv2d conv_pool;
    private readonly GcSafeBatchNorm bn;
    private readonly Conv2d conv_gs;
    private readonly int _frames;

    public Navigation(long inChannels, int frames, TsmBatchNorm norm) : base(nameof(Navigation))
    {
        _frames = frames;
        conv_pool = Conv2d(inChannels, 2, 1, bias: false);
        bn = GcSafeBatchNorm.For2d(2, eps: norm.Eps, momentum: norm.Momentum);
        conv_gs = Conv2d(2L * frames, 2L * frames, 1, bias: true, groups: frames);
        RegisterComponents();
    }

    /// <summary>The grouped per-frame convolution (its bias is initialised by <see cref="InitialiseGateBias"/>).</summary>
    internal Conv2d GateConv => conv_gs;

    /// <summary>Sets the <c>conv_gs</c> bias to (skip, keep) for every frame; the reference's [1, 10] selects every frame at the start.</summary>
    internal void InitialiseGateBias(double skip, double keep)
    {
        using var noGrad = no_grad();
        var bias = conv_gs.bias!.view(_frames, 2);
        bias.select(1, 0).fill_(skip);
        bias.select(1, 1).fill_(keep);
    }

    /// <summary>Per-frame [skip, keep] logits.</summary>
    /// <param name="x">[N·T, C, h, w].</param>
    /// <param name="trace">Counts executed MACs, or null.</param>
    /// <returns>[N, T, 2].</returns>
    public Tensor Logits(Tensor x, AFNetExecutionTrace? trace)
    {
        var gates = functional.adaptive_avg_pool2d(x, 1);
        gates = conv_pool.call(gates);
        trace?.Conv(conv_pool, gates);
        gates = functional.relu(bn.call(gates));
        long videos = x.shape[0] / _frames;
        gates = conv_gs.call(gates.reshape(videos, 2L * _frames, 1, 1));
        trace?.Add(conv_gs.weight!.numel(), 1);
        return gates.reshape(videos, _frames, 2);
    }
}
