using MLNetVideo.Trainers.MoViNet;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.MoViNet;

internal static class MoViNetTestNetworks
{
    /// <summary>Tiny A0 spec: width 0.25, classifier hidden 32, BN momentum 1 (so one calibration batch sets the statistics).</summary>
    public static MoViNetSpec TinySpec(MoViNetMode mode, int classes = 5)
        => MoViNetSpecs.For(MoViNetVariant.A0, mode, classes, 0.25) with { ClassifierHiddenChannels = 32, BatchNormMomentum = 1.0 };

    /// <summary>A tiny A0 in eval mode whose every layer shapes the output (see <see cref="Calibrate"/>).</summary>
    public static MoViNetNetwork TinyA0(MoViNetMode mode, int classes = 5)
    {
        var network = new MoViNetNetwork(TinySpec(mode, classes));
        Calibrate(network);
        return network;
    }

    /// <summary>
    /// With PyTorch's default init, ReZero scales at 0 and unit BN statistics, the logits of an untrained network barely
    /// depend on the input (the signal shrinks layer after layer). Set every <c>alpha</c> to 0.7 and take BN statistics from
    /// one random batch (momentum 1), so the input matters at the 1e-1 level and equality tests at 1e-4 mean something.
    /// </summary>
    public static void Calibrate(nn.Module<Tensor, Tensor> network)
    {
        using (no_grad())
        {
            foreach (var (name, tensor) in network.named_parameters())
                if (name.EndsWith("alpha", StringComparison.Ordinal)) tensor.fill_(0.7);
            network.train();
            using var batch = rand([4, 3, 8, 32, 32]);
            network.call(batch).Dispose();
        }
        network.eval();
    }
}
