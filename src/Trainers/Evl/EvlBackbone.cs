using MLNetVideo.Trainers.Common;
using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Evl;

/// <summary>The EVL decoder on frozen CLIP features (Lin et al., "Frozen CLIP Models are Efficient Video Learners", ECCV 2022,
/// arXiv:2208.03550; OpenGVLab/efficient-video-recognition). Its "clip" is the feature column [k·M, T, tokens, W] of
/// <c>FeaturizeVideoWithClip</c>.</summary>
public sealed class EvlBackbone() : VideoBackbone<EvlSpec, EvlBackbone>("EVL", "MLNetVideo.Evl")
{
    /// <inheritdoc />
    public override ClipRequirements InputFor(EvlSpec? spec) => new(null, 1, 1);

    /// <inheritdoc />
    public override string Normalization => "CLIP features from FeaturizeVideoWithClip (which applies CLIP's own mean/std to its frames).";

    /// <inheritdoc />
    public override nn.Module<Tensor, Tensor> CreateNetwork(EvlSpec spec) => new EvlNetwork(spec);

    /// <inheritdoc />
    public override IReadOnlyList<CheckpointLayout> CheckpointLayouts(EvlSpec spec) => [EvlWeights.Official];

    /// <inheritdoc />
    public override bool IsHeadKey(string key) => key.StartsWith("proj.2.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StageCount(EvlSpec spec) => spec.Layers;

    /// <summary>Stages: one per decoder layer (its decoder block, temporal convolution, position embedding and inter-frame
    /// attention; the class token goes with the first).</summary>
    /// <param name="key">A state-dict key.</param>
    /// <returns>The stage, or -1 for the head and its norm.</returns>
    public override int StageOf(string key)
    {
        if (key.StartsWith("decoder.cls_token", StringComparison.Ordinal)) return 0;
        foreach (var part in (string[])["decoder.decoder_layers.", "decoder.temporal_conv.", "decoder.temporal_pos_embed.", "decoder.cross_attention."])
            if (key.StartsWith(part, StringComparison.Ordinal))
                return StageIndex.FromLayer(key, part, layer => layer);
        return -1;
    }
}
