using MLNetVideo.Weights;

namespace MLNetVideo.Trainers.Evl;

/// <summary>The published EVL checkpoints (OpenGVLab/efficient-video-recognition) and how they map onto <see cref="EvlNetwork"/>.</summary>
/// <remarks>A zip <c>torch.save</c> of <c>{"model": state_dict, …}</c> from the DistributedDataParallel model: keys
/// <c>module.decoder.…</c> and <c>module.proj.…</c>; the frozen CLIP backbone is not in the file (it is OpenAI's
/// <c>ViT-B-16.pt</c>, read by <c>ClipWeights</c>). ViT-B/16, 4 decoder layers, 8 (or 16/32) frames, Kinetics-400.</remarks>
public static class EvlWeights
{
    /// <summary>The released EVL decoder checkpoints.</summary>
    public static CheckpointLayout Official { get; } =
        new("EVL (OpenGVLab/efficient-video-recognition)", "model", KeyMapping.StripPrefix("module."), "decoder.cls_token");
}
