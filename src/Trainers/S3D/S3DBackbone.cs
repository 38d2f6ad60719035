using MLNetVideo.Trainers.Common;
using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.S3D;

/// <summary>The S3D / S3D-G family (Xie et al., ECCV 2018, arXiv:1712.04851; weights of kylemin/S3D).</summary>
public sealed class S3DBackbone() : VideoBackbone<S3DSpec, S3DBackbone>("S3D", "MLNetVideo.S3D")
{
    /// <inheritdoc />
    public override ClipRequirements InputFor(S3DSpec? spec) => new(3, S3DSpecs.MinFrames, S3DSpecs.MinFrameSize);

    /// <inheritdoc />
    public override string Normalization => "RGB in [-1, 1] for the kylemin/S3D Kinetics checkpoint; any range when trained here.";

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(S3DSpec spec) => new S3DNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(S3DSpec spec) => [S3DWeights.Official];

    /// <inheritdoc />
    public override bool IsHeadKey(string key) => key.StartsWith("fc.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StageCount(S3DSpec spec) => 5;

    /// <summary>Stages: Conv2d_1a (<c>base.0</c>); Conv2d_2b/2c (<c>base.2–3</c>); Mixed_3b/3c (<c>base.5–6</c>);
    /// Mixed_4b–4f (<c>base.8–12</c>); Mixed_5b/5c (<c>base.14–15</c>).</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>The stage, or -1 for the head.</returns>
    public override int StageOf(string key)
        => StageIndex.FromLayer(key, "base.", layer => layer switch { <= 1 => 0, <= 4 => 1, <= 7 => 2, <= 13 => 3, _ => 4 });

    /// <inheritdoc />
    public override double? MultiplyAccumulates(S3DSpec spec, ClipGeometry clip) => S3DCost.MultiplyAccumulates(spec, clip.Frames, clip.Height, clip.Width);
}
