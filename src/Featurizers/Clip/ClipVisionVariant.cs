namespace MLNetVideo.Featurizers.Clip;

/// <summary>The CLIP image towers MLNetVideo can build (openai/CLIP and Hugging Face CLIPVisionModel).</summary>
public enum ClipVisionVariant
{
    /// <summary>ViT-B/32: 224², patch 32, width 768, 12 layers, 12 heads, 50 tokens, ≈87.8 M parameters.</summary>
    VitB32,

    /// <summary>ViT-B/16: 224², patch 16, width 768, 12 layers, 12 heads, 197 tokens, ≈86.2 M parameters.</summary>
    VitB16,

    /// <summary>ViT-L/14: 224², patch 14, width 1024, 24 layers, 16 heads, 257 tokens, ≈304 M parameters.</summary>
    VitL14,

    /// <summary>A tiny random-initialised tower for tests and examples: 32², patch 8, width 64, 3 layers, 2 heads, 17 tokens.</summary>
    Tiny,
}
