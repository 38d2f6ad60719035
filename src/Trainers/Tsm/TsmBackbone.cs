using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>The TSM-ResNet family, with optional temporal clustering (Lin et al., ICCV 2019, arXiv:1811.08383;
/// mit-han-lab/temporal-shift-module).</summary>
public sealed class TsmBackbone() : ResNetVideoBackbone<TsmSpec, TsmBackbone>("TSM", "MLNetVideo.Tsm", TsmSpecs.MinFrameSize)
{
    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(TsmSpec spec) => new TsmNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(TsmSpec spec) => [TsmWeights.Official, TsmWeights.TorchvisionImageNet];
}
