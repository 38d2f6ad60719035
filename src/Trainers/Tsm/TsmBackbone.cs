using MLNetVideo.Persistence;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.Tsm.TsmBackbone.Id, typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.Tsm.TsmSpec>))]

namespace MLNetVideo.Trainers.Tsm;

/// <summary>The TSM-ResNet family, with optional temporal clustering (Lin et al., ICCV 2019, arXiv:1811.08383;
/// mit-han-lab/temporal-shift-module).</summary>
public sealed class TsmBackbone : VideoBackbone<TsmSpec>
{
    internal const string Id = "MLNetVideo.Tsm";

    private TsmBackbone()
    {
    }

    /// <summary>The family.</summary>
    public static TsmBackbone Instance { get; } = new();

    /// <inheritdoc />
    public override string FamilyName => "TSM";

    /// <inheritdoc />
    public override string ComponentId => Id;

    /// <inheritdoc />
    public override ClipLayout NetworkLayout => ClipLayout.Tchw;

    /// <inheritdoc />
    public override ClipRequirements InputFor(TsmSpec? spec) => new(3, 1, TsmSpecs.MinFrameSize);

    /// <inheritdoc />
    public override string Normalization => "RGB in [0, 1], then ImageNet mean/std (the official checkpoints and torchvision's ResNets).";

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(TsmSpec spec) => new TsmNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(TsmSpec spec) => [TsmWeights.Official, TsmWeights.TorchvisionImageNet];

    /// <inheritdoc />
    public override bool IsHeadKey(string key) => key.StartsWith("fc.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StageCount(TsmSpec spec) => 5;

    /// <summary>Stages: the stem (<c>conv1</c>, <c>bn1</c>), then <c>layer1</c> … <c>layer4</c>.</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>The stage, or -1 for the head.</returns>
    public override int StageOf(string key) => StageIndex.ResNet(key);
}
