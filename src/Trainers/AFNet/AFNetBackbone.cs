using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>The AF-ResNet family ("Look More but Care Less in Video Recognition", Zhang et al., NeurIPS 2022, arXiv:2211.09992;
/// BeSpontaneous/AFNet-pytorch).</summary>
/// <remarks>Scoring also writes <see cref="AFNetScoring.SelectedFrameRatioColumnName"/>, and the benchmark's cost of a clip
/// is what its navigation executed (<see cref="MeasuredMultiplyAccumulates"/>).</remarks>
public sealed class AFNetBackbone() : ResNetVideoBackbone<AFNetSpec, AFNetBackbone>("AFNet", "MLNetVideo.AFNet", AFNetSpecs.MinFrameSize)
{
    /// <inheritdoc />
    public override IReadOnlyList<string> ExtraOutputColumns => [AFNetScoring.SelectedFrameRatioColumnName];

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(AFNetSpec spec) => new AFNetNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(AFNetSpec spec) => [AFNetWeights.Official];

    /// <summary>The executed cost depends on the frames the navigation picks for this clip: AFNet counts it itself.</summary>
    /// <param name="model">The model.</param>
    /// <param name="row">One row.</param>
    /// <returns>The executed MACs of its first view.</returns>
    public override double? MeasuredMultiplyAccumulates(VideoClassifierTransformer<AFNetSpec> model, float[] row)
        => model.Predict(row.AsSpan(0, model.Info.Clip.ViewSize)).MultiplyAccumulates;
}
