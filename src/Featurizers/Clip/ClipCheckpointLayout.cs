namespace MLNetVideo.Featurizers.Clip;

/// <summary>The checkpoint layouts <see cref="ClipWeights"/> can import (openai/CLIP and Hugging Face CLIPVisionModel).</summary>
public enum ClipCheckpointLayout
{
    /// <summary>Decide from the keys: <c>vision_model.*</c> → Hugging Face, <c>visual.*</c> → OpenAI, else the network's own names.</summary>
    Auto,

    /// <summary>OpenAI <c>clip</c> package: <c>visual.conv1.weight</c>, <c>visual.transformer.resblocks.{i}.attn.in_proj_weight</c>, …</summary>
    OpenAI,

    /// <summary>Hugging Face <c>openai/clip-vit-*</c> (<c>CLIPModel</c> / <c>CLIPVisionModelWithProjection</c>): <c>vision_model.*</c>,
    /// separate q/k/v, <c>visual_projection.weight</c>.</summary>
    HuggingFace,

    /// <summary>The network's own names (OpenAI without <c>visual.</c>), as the CLIP tower's state dict.</summary>
    Native,
}
