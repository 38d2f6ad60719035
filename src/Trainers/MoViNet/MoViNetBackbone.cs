using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The MoViNet A0–A2 family, base and stream, with the optional temporal ensemble (Kondratyuk et al., CVPR 2021,
/// arXiv:2103.11511; PyTorch port Atze00/MoViNet-pytorch). Stream models can classify live video
/// (<see cref="MoViNetStreaming"/>).</summary>
public sealed class MoViNetBackbone() : VideoBackbone<MoViNetSpec, MoViNetBackbone>("MoViNet", "MLNetVideo.MoViNet")
{
    /// <inheritdoc />
    /// <remarks>Version 2: the ReZero scales are scalars, no duplicate state-dict keys, and stream models gate with Keras'
    /// hard sigmoid and classify through swish (the released checkpoints' activations). Version-1 zips still load: their
    /// duplicate keys are dropped, their scales become scalars, and their stream models keep the activations they were
    /// trained with (<see cref="MoViNetSpec.Version1Activations"/>), so they score as they did.</remarks>
    public override int ContentVersion => 2;

    /// <inheritdoc />
    public override int OldestContentVersion => 1;

    /// <inheritdoc />
    public override ClipRequirements InputFor(MoViNetSpec? spec) => new(3, spec is { TemporalEnsemble: true } ? 2 : 1, MoViNetSpecs.MinFrameSize);

    /// <inheritdoc />
    public override string Normalization => "RGB in [0, 1], no mean/std (the official models), 172² (A0, A1) or 224² (A2).";

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(MoViNetSpec spec)
        => spec.TemporalEnsemble ? new MoViNetEnsembleNetwork(spec) : new MoViNetNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(MoViNetSpec spec)
        => [MoViNetWeights.Atze00(spec.Mode), MoViNetWeights.Atze00(spec.Mode == MoViNetMode.Base ? MoViNetMode.Stream : MoViNetMode.Base)];

    /// <inheritdoc />
    /// <remarks>A temporal ensemble's keys carry the member prefix <c>model_0.</c> / <c>model_1.</c>.</remarks>
    public override bool IsHeadKey(string key) => MemberKey(key).StartsWith("classifier.3.", StringComparison.Ordinal);

    private static string MemberKey(string key)
        => key.StartsWith("model_0.", StringComparison.Ordinal) || key.StartsWith("model_1.", StringComparison.Ordinal) ? key[8..] : key;

    /// <inheritdoc />
    public override int StageCount(MoViNetSpec spec) => 7;

    /// <summary>Stages: the stem <c>conv1</c>; blocks <c>b0</c> … <c>b4</c>; <c>conv7</c> with the classifier's hidden layer
    /// <c>classifier.0</c>.</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>The stage, or -1 for the head.</returns>
    public override int StageOf(string key)
    {
        key = MemberKey(key);
        if (key.StartsWith("conv1.", StringComparison.Ordinal)) return 0;
        if (key.StartsWith("conv7.", StringComparison.Ordinal) || key.StartsWith("classifier.0.", StringComparison.Ordinal)) return 6;
        if (key.StartsWith("blocks.b", StringComparison.Ordinal) && key.Length > 8 && char.IsAsciiDigit(key[8])) return key[8] - '0' + 1;
        return -1;
    }

    /// <summary>The analytic cost of <see cref="MoViNetCost"/>; a temporal ensemble runs both members, one on the even and
    /// one on the odd frames.</summary>
    /// <param name="spec">The spec.</param>
    /// <param name="clip">One view.</param>
    /// <returns>The MACs.</returns>
    public override double? MultiplyAccumulates(MoViNetSpec spec, ClipGeometry clip)
        => !spec.TemporalEnsemble
            ? MoViNetCost.MultiplyAccumulates(spec, clip.Frames, clip.Height, clip.Width)
            : MoViNetCost.MultiplyAccumulates(spec, (clip.Frames + 1) / 2, clip.Height, clip.Width)
              + MoViNetCost.MultiplyAccumulates(spec, clip.Frames / 2, clip.Height, clip.Width);

    /// <summary>Version 1 stream models keep the activations they were trained with.</summary>
    /// <param name="spec">The saved spec.</param>
    /// <param name="contentVersion">The zip's content version.</param>
    /// <returns>The spec to build.</returns>
    public override MoViNetSpec UpgradeSpec(MoViNetSpec spec, int contentVersion)
        => contentVersion == 1 ? spec with { Version1Activations = true } : spec;

    /// <summary>Version 1 saved the depthwise and SE units a second time under compiler-generated names
    /// (<c>&lt;Deep&gt;k__BackingField</c>, <c>&lt;Se&gt;k__BackingField</c>) and each ReZero scale as a 1-element vector.</summary>
    /// <param name="key">The saved key.</param>
    /// <param name="value">The saved tensor.</param>
    /// <param name="contentVersion">The zip's content version.</param>
    /// <returns>Today's key and tensor, or null for a duplicate.</returns>
    public override (string Key, Tensor Value)? UpgradeWeight(string key, Tensor value, int contentVersion)
        => key.Contains("k__BackingField", StringComparison.Ordinal) ? null
            : key.EndsWith(".alpha", StringComparison.Ordinal) && value.shape is [1] ? (key, value.reshape([])) : (key, value);
}
