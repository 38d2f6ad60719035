using MLNetVideo.Persistence;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.AFNet.AFNetBackbone.Id, typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.AFNet.AFNetSpec>))]

namespace MLNetVideo.Trainers.AFNet;

/// <summary>The AF-ResNet family ("Look More but Care Less in Video Recognition", Zhang et al., NeurIPS 2022,
/// arXiv:2211.09992; BeSpontaneous/AFNet-pytorch). Scoring also writes <see cref="AFNetScoring.SelectedFrameRatioColumnName"/>.</summary>
public sealed class AFNetBackbone : VideoBackbone<AFNetSpec>
{
    internal const string Id = "MLNetVideo.AFNet";

    private AFNetBackbone()
    {
    }

    /// <summary>The family.</summary>
    public static AFNetBackbone Instance { get; } = new();

    /// <inheritdoc />
    public override string FamilyName => "AFNet";

    /// <inheritdoc />
    public override string ComponentId => Id;

    /// <inheritdoc />
    public override ClipLayout NetworkLayout => ClipLayout.Tchw;

    /// <inheritdoc />
    public override ClipRequirements InputFor(AFNetSpec? spec) => new(3, 1, AFNetSpecs.MinFrameSize);

    /// <inheritdoc />
    public override string Normalization => "RGB in [0, 1], then ImageNet mean/std (the official AF-ResNet-50 checkpoint).";

    /// <inheritdoc />
    public override IReadOnlyList<string> ExtraOutputColumns => [AFNetScoring.SelectedFrameRatioColumnName];

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(AFNetSpec spec) => new AFNetNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(AFNetSpec spec) => [AFNetWeights.Official];

    /// <inheritdoc />
    public override bool IsHeadKey(string key) => key.StartsWith("fc.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StageCount(AFNetSpec spec) => 5;

    /// <summary>Stages: the stem (<c>conv1</c>, <c>bn1</c>), then <c>layer1</c> … <c>layer4</c>.</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>The stage, or -1 for the head.</returns>
    public override int StageOf(string key) => StageIndex.ResNet(key);

    /// <summary>The executed cost depends on the frames the navigation picks for this clip: AFNet counts it itself.</summary>
    /// <param name="model">The model.</param>
    /// <param name="row">One row.</param>
    /// <returns>The executed MACs of its first view.</returns>
    public override double? MeasuredMultiplyAccumulates(VideoClassifierTransformer<AFNetSpec> model, float[] row)
        => model.Predict(row.AsSpan(0, model.Info.Clip.ViewSize)).MultiplyAccumulates;
}
