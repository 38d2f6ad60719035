namespace MLNetVideo.Featurizers.Clip;

/// <summary>The specs of the public OpenAI CLIP image towers (openai/CLIP and Hugging Face CLIPVisionModel) and a tiny test tower.</summary>
public static class ClipVisionSpecs
{
    /// <summary>ViT-B/32.</summary>
    public static ClipVisionSpec VitB32 { get; } = new() { Variant = ClipVisionVariant.VitB32, ImageSize = 224, PatchSize = 32, Width = 768, Layers = 12, Heads = 12, OutputDim = 512 };

    /// <summary>ViT-B/16.</summary>
    public static ClipVisionSpec VitB16 { get; } = new() { Variant = ClipVisionVariant.VitB16, ImageSize = 224, PatchSize = 16, Width = 768, Layers = 12, Heads = 12, OutputDim = 512 };

    /// <summary>ViT-L/14.</summary>
    public static ClipVisionSpec VitL14 { get; } = new() { Variant = ClipVisionVariant.VitL14, ImageSize = 224, PatchSize = 14, Width = 1024, Layers = 24, Heads = 16, OutputDim = 768 };

    /// <summary>Tiny test tower (32², patch 8, width 64, 3 layers, 2 heads).</summary>
    public static ClipVisionSpec Tiny { get; } = new() { Variant = ClipVisionVariant.Tiny, ImageSize = 32, PatchSize = 8, Width = 64, Layers = 3, Heads = 2, OutputDim = 32 };

    /// <summary>The spec of <paramref name="variant"/>.</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>The spec.</returns>
    public static ClipVisionSpec Get(ClipVisionVariant variant) => variant switch
    {
        ClipVisionVariant.VitB32 => VitB32,
        ClipVisionVariant.VitB16 => VitB16,
        ClipVisionVariant.VitL14 => VitL14,
        ClipVisionVariant.Tiny => Tiny,
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown CLIP variant."),
    };
}
