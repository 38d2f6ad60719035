namespace MLNetVideo.Featurizers.Clip;

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
