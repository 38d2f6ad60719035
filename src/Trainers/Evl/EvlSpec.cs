using MLNetVideo.Errors;

namespace MLNetVideo.Trainers.Evl;

/// <summary>
/// Architecture of an EVL decoder (Lin et al., "Frozen CLIP Models are Efficient Video Learners", ECCV 2022; OpenGVLab/efficient-video-recognition)
/// over features from <c>FeaturizeVideoWithClip</c>: M layers of [T, tokens, W] block outputs (and their q/k).
/// </summary>
public sealed record EvlSpec
{
    /// <summary>M: decoder layers = CLIP blocks whose features are used (one decoder layer per block, oldest first).</summary>
    public int Layers { get; init; } = 4;

    /// <summary>T, frames per clip.</summary>
    public int Frames { get; init; } = 8;

    /// <summary>Tokens per frame, CLS included (grid² + 1).</summary>
    public int Tokens { get; init; } = 197;

    /// <summary>W, the backbone (and decoder) width.</summary>
    public int Width { get; init; } = 768;

    /// <summary>Attention heads of the backbone (to split q/k for the inter-frame attention).</summary>
    public int BackboneHeads { get; init; } = 12;

    /// <summary>Attention heads of the decoder.</summary>
    public int DecoderHeads { get; init; } = 12;

    /// <summary>MLP hidden size = <see cref="MlpFactor"/> × W.</summary>
    public double MlpFactor { get; init; } = 4.0;

    /// <summary>Dropout inside the decoder MLPs (paper 0.5).</summary>
    public double MlpDropout { get; init; } = 0.5;

    /// <summary>Dropout before the classifier (paper 0.5).</summary>
    public double ClassifierDropout { get; init; } = 0.5;

    /// <summary>Depthwise temporal convolution on each layer's features.</summary>
    public bool UseTemporalConv { get; init; } = true;

    /// <summary>Learned temporal position embedding on each layer's features.</summary>
    public bool UseTemporalPositionEmbedding { get; init; } = true;

    /// <summary>Inter-frame attention feature from the frozen q/k (the feature column then holds 3·M slices).</summary>
    public bool UseInterFrameAttention { get; init; } = true;

    /// <summary>Number of classes.</summary>
    public int NumClasses { get; init; } = 400;

    /// <summary>Patches per side (tokens − 1 must be a square).</summary>
    public int Grid => (int)Math.Round(Math.Sqrt(Tokens - 1));

    /// <summary>Slices per layer in the feature column: 3 (features, q, k) or 1.</summary>
    public int SlicesPerLayer => UseInterFrameAttention ? 3 : 1;

    /// <summary>Checks the numbers agree.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        // Upper bounds well above every CLIP tower (ViT-L/14: 24 blocks, width 1024, 257 tokens), so that settings read from
        // a model zip cannot make the loader build an arbitrarily large decoder.
        OptionChecks.InRange(Layers, 1, 64, nameof(Layers));
        OptionChecks.InRange(Frames, 1, 4096, nameof(Frames));
        OptionChecks.InRange(Width, 1, 4096, nameof(Width));
        OptionChecks.InRange(Tokens, 2, 16385, nameof(Tokens));
        OptionChecks.Positive(NumClasses, nameof(NumClasses));
        if (Tokens < 2 || Grid * Grid != Tokens - 1)
            throw new ArgumentOutOfRangeException(nameof(Tokens), Tokens, "Tokens must be a square grid of patches plus the CLS token.");
        if (BackboneHeads <= 0 || Width % BackboneHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(BackboneHeads), BackboneHeads, $"BackboneHeads must divide the width {Width}.");
        if (DecoderHeads <= 0 || Width % DecoderHeads != 0)
            throw new ArgumentOutOfRangeException(nameof(DecoderHeads), DecoderHeads, $"DecoderHeads must divide the width {Width}.");
        OptionChecks.InRange(MlpFactor, 0.25, 16, nameof(MlpFactor));
        OptionChecks.InRange(MlpDropout, 0, 1, nameof(MlpDropout));
        OptionChecks.InRange(ClassifierDropout, 0, 1, nameof(ClassifierDropout));
    }

    /// <summary>Trainable parameters of the decoder and head, computed from the spec.</summary>
    public long ParameterCount
    {
        get
        {
            long c = Width, m = (long)(MlpFactor * Width), g = 2L * Grid - 1;
            long layer = 4 * (c * c + c) + (c * m + m) + (m * c + c) + 3 * 2 * c;
            long temporal = (UseTemporalConv ? c * 3 + c : 0) + (UseTemporalPositionEmbedding ? Frames * c : 0) + (UseInterFrameAttention ? 2 * g * g * c : 0);
            return Layers * (layer + temporal) + c + 2 * c + c * NumClasses + NumClasses;
        }
    }
}
