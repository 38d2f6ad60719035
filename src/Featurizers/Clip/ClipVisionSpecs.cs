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

/// <summary>Architecture of a CLIP vision transformer (OpenAI <c>VisionTransformer</c>).</summary>
public sealed record ClipVisionSpec
{
    /// <summary>The variant this spec describes.</summary>
    public required ClipVisionVariant Variant { get; init; }

    /// <summary>Input side in pixels (square).</summary>
    public required int ImageSize { get; init; }

    /// <summary>Patch side in pixels (the stride of <c>conv1</c>).</summary>
    public required int PatchSize { get; init; }

    /// <summary>Transformer width W.</summary>
    public required int Width { get; init; }

    /// <summary>Number of residual attention blocks.</summary>
    public required int Layers { get; init; }

    /// <summary>Attention heads (head dim = W / heads).</summary>
    public required int Heads { get; init; }

    /// <summary>Output embedding size of <c>proj</c>.</summary>
    public required int OutputDim { get; init; }

    /// <summary>MLP hidden size (4·W in every public CLIP).</summary>
    public int MlpWidth => 4 * Width;

    /// <summary>Patches per side.</summary>
    public int Grid => ImageSize / PatchSize;

    /// <summary>Tokens per image, CLS included (grid² + 1).</summary>
    public int Tokens => Grid * Grid + 1;

    /// <summary>Number of learnable parameters of the tower, computed from the architecture.</summary>
    public long ParameterCount
    {
        get
        {
            long w = Width, m = MlpWidth;
            long block = (3 * w * w + 3 * w) + (w * w + w) + 2 * w + (m * w + m) + (w * m + w) + 2 * w;
            return w * 3 * PatchSize * PatchSize + w + Tokens * w + 2 * w + Layers * block + 2 * w + w * OutputDim;
        }
    }

    /// <summary>Checks the numbers agree (patch divides image, heads divide width).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        if (ImageSize <= 0 || PatchSize <= 0 || ImageSize % PatchSize != 0)
            throw new ArgumentOutOfRangeException(nameof(PatchSize), PatchSize, $"PatchSize must divide ImageSize ({ImageSize}).");
        if (Width <= 0 || Heads <= 0 || Width % Heads != 0)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"Heads must divide Width ({Width}).");
        if (Layers <= 0 || OutputDim <= 0)
            throw new ArgumentOutOfRangeException(nameof(Layers), Layers, "Layers and OutputDim must be positive.");
    }
}

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
