using MLNetVideo.Errors;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The MoViNet family members implemented here (Kondratyuk et al., "MoViNets: Mobile Video Networks for Efficient
/// Video Recognition", CVPR 2021, arXiv:2103.11511).</summary>
public enum MoViNetVariant
{
    /// <summary>A0: stem 8, 5 blocks of 1/3/3/4/4 layers, head 480; reference input 50×172².</summary>
    A0 = 0,

    /// <summary>A1: stem 16, 5 blocks of 2/4/5/6/7 layers, head 600; reference input 50×172².</summary>
    A1 = 1,

    /// <summary>A2: stem 16, 5 blocks of 3/5/5/6/7 layers, head 640; reference input 50×224².</summary>
    A2 = 2,
}

/// <summary>Base (non-causal) or stream (causal, constant-memory streaming) network.</summary>
public enum MoViNetMode
{
    /// <summary>Ordinary 3-D depthwise convs with symmetric 'same' time padding, 3-D global-average SE, swish/sigmoid.
    /// Needs the whole clip; cannot stream.</summary>
    Base = 0,

    /// <summary>Causal (2+1)D depthwise convs (front-only time padding, or stream buffers), CausalSE on cumulative
    /// global average pooling, cumulative head pooling, hard-swish in the backbone, Keras' hard sigmoid in the SE gates and
    /// swish in the classifier (as the released stream checkpoints). Consumes any number of frames at a time with constant
    /// memory (<see cref="MoViNetStream"/>).</summary>
    Stream = 1,
}

/// <summary>A kernel or stride over (time, height, width).</summary>
/// <param name="T">Time.</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
public readonly record struct Triple(int T, int H, int W)
{
    /// <summary>1×1×1.</summary>
    public static Triple One => new(1, 1, 1);

    /// <summary>1×3×3 (the stem kernel).</summary>
    public static Triple K133 => new(1, 3, 3);

    /// <summary>1×5×5.</summary>
    public static Triple K155 => new(1, 5, 5);

    /// <summary>3×3×3.</summary>
    public static Triple K333 => new(3, 3, 3);

    /// <summary>5×3×3.</summary>
    public static Triple K533 => new(5, 3, 3);

    /// <summary>Spatial stride 2, temporal stride 1 (MoViNets never stride in time).</summary>
    public static Triple S122 => new(1, 2, 2);

    /// <summary>As a long array (for TorchSharp).</summary>
    /// <returns>[T, H, W].</returns>
    public long[] ToArray() => [T, H, W];
}

/// <summary>The stem: full 1×3×3 conv, stride (1,2,2), BN, activation.</summary>
/// <param name="OutChannels">Output channels.</param>
public sealed record MoViNetStemSpec(int OutChannels)
{
    /// <summary>Stem kernel.</summary>
    public static Triple Kernel => Triple.K133;

    /// <summary>Stem stride.</summary>
    public static Triple Stride => Triple.S122;
}

/// <summary>One inverted-bottleneck layer <c>b{Block}_l{Layer}</c>: 1×1×1 expand → depthwise <see cref="Kernel"/> → SE →
/// 1×1×1 project, residual with ReZero scale.</summary>
/// <param name="Block">Block index (the X of bX_lY).</param>
/// <param name="Layer">Layer index inside the block.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="ExpandChannels">Expanded (depthwise) width.</param>
/// <param name="Kernel">Depthwise kernel (t, h, w).</param>
/// <param name="Stride">Depthwise stride (always 1 in time).</param>
public sealed record MoViNetBlockSpec(int Block, int Layer, int InChannels, int OutChannels, int ExpandChannels, Triple Kernel, Triple Stride)
{
    /// <summary>Checkpoint name, for example "b1_l2".</summary>
    public string Name => $"b{Block}_l{Layer}";

    /// <summary>Whether the skip path is a projection (pool + 1×1×1 conv + BN) rather than the identity.</summary>
    public bool ProjectedSkip => InChannels != OutChannels || Stride.H != 1 || Stride.W != 1;

    /// <summary>SE hidden width: make_divisible(0.25·C) in base mode, make_divisible(0.5·C) in stream mode (models.md §2.3).</summary>
    /// <param name="mode">Base or stream.</param>
    /// <returns>The hidden width.</returns>
    public int SeHidden(MoViNetMode mode) => MoViNetSpecs.MakeDivisible((mode == MoViNetMode.Stream ? 0.5 : 0.25) * ExpandChannels, 8);
}

/// <summary>The head: 1×1×1 conv to <paramref name="ProjectChannels"/> + BN + act, global average pool, then the classifier
/// MLP (1×1×1 conv to <paramref name="HiddenChannels"/> with bias + act, dropout, 1×1×1 conv to classes with bias).</summary>
/// <param name="ProjectChannels">Head projection width (480/600/640).</param>
/// <param name="HiddenChannels">Classifier hidden width (2048).</param>
public sealed record MoViNetHeadSpec(int ProjectChannels, int HiddenChannels);

/// <summary>
/// Architecture of a MoViNet network: everything needed to rebuild it (stored in the model zip next to the weights).
/// </summary>
public sealed record MoViNetSpec
{
    /// <summary>A0, A1 or A2.</summary>
    public MoViNetVariant Variant { get; init; } = MoViNetVariant.A0;

    /// <summary>Base or stream.</summary>
    public MoViNetMode Mode { get; init; } = MoViNetMode.Base;

    /// <summary>Number of output classes.</summary>
    public int NumClasses { get; init; } = 600;

    /// <summary>Multiplies every channel count of the stem, the blocks and the head projection (1.0 = the official
    /// tables; otherwise make_divisible(·, 8)). The classifier hidden width is <see cref="ClassifierHiddenChannels"/>.</summary>
    public double WidthMultiplier { get; init; } = 1.0;

    /// <summary>Hidden width of the classifier MLP (2048 in the official models).</summary>
    public int ClassifierHiddenChannels { get; init; } = 2048;

    /// <summary>Dropout before the last classifier conv (official: 0.2 for A0, 0.5 for A1/A2).</summary>
    public double DropoutRate { get; init; } = 0.2;

    /// <summary>Batch-norm eps (official 1e-3).</summary>
    public double BatchNormEps { get; init; } = 1e-3;

    /// <summary>Batch-norm momentum, PyTorch convention (official 0.01 = TF 0.99).</summary>
    public double BatchNormMomentum { get; init; } = 0.01;

    /// <summary>Paper's temporal ensemble: two networks (<c>model_0</c>, <c>model_1</c>) on the even and odd frames
    /// (half frame rate, offset by one frame), logits averaged.</summary>
    public bool TemporalEnsemble { get; init; }

    /// <summary>Stream models saved with content version 1 (before the released checkpoints' activations were adopted): SE
    /// gates with PyTorch's hard sigmoid and a hard-swish classifier. Set when such a zip is loaded; never saved.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    internal bool Version1Activations { get; init; }

    /// <summary>Stem after the width multiplier.</summary>
    public MoViNetStemSpec Stem => new(Scale(MoViNetSpecs.Stem(Variant).OutChannels));

    /// <summary>Layers after the width multiplier, in order.</summary>
    public IReadOnlyList<MoViNetBlockSpec> Blocks => MoViNetSpecs.Blocks(Variant)
        .Select(b => b with { InChannels = Scale(b.InChannels), OutChannels = Scale(b.OutChannels), ExpandChannels = Scale(b.ExpandChannels) })
        .ToArray();

    /// <summary>Head after the width multiplier.</summary>
    public MoViNetHeadSpec Head => new(Scale(MoViNetSpecs.Head(Variant).ProjectChannels), ClassifierHiddenChannels);

    /// <summary>Checks every value, naming the property and the rule.</summary>
    public void Validate()
    {
        OptionChecks.Defined(Variant, nameof(Variant));
        OptionChecks.Defined(Mode, nameof(Mode));
        OptionChecks.Positive(NumClasses, nameof(NumClasses));
        OptionChecks.InRange(WidthMultiplier, 1.0 / 16, 4.0, nameof(WidthMultiplier));
        OptionChecks.InRange(ClassifierHiddenChannels, 1, 1 << 16, nameof(ClassifierHiddenChannels));
        OptionChecks.InRange(DropoutRate, 0, 0.99, nameof(DropoutRate));
        OptionChecks.Positive(BatchNormEps, nameof(BatchNormEps));
        OptionChecks.InRange(BatchNormMomentum, 0, 1, nameof(BatchNormMomentum));
    }

    private int Scale(int channels) => WidthMultiplier == 1.0 ? channels : MoViNetSpecs.MakeDivisible(channels * WidthMultiplier, 8);
}

/// <summary>The official block tables of A0, A1 and A2 (models.md §2.4, from Model Garden <c>movinet.py</c> BLOCK_SPECS).</summary>
public static class MoViNetSpecs
{
    /// <summary>Smallest frame side: five stride-2 stages (stem, b0, b1, b2, b4).</summary>
    public const int MinFrameSize = 32;

    /// <summary>Reference input size per variant (172, 172, 224).</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>Frame side in pixels.</returns>
    public static int ReferenceFrameSize(MoViNetVariant variant) => variant == MoViNetVariant.A2 ? 224 : 172;

    /// <summary>Reference frames per clip (50 at 5 fps for A0–A2).</summary>
    public const int ReferenceFrames = 50;

    /// <summary>The stem of a variant at full width.</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>The stem spec.</returns>
    public static MoViNetStemSpec Stem(MoViNetVariant variant) => new(variant == MoViNetVariant.A0 ? 8 : 16);

    /// <summary>The head of a variant at full width.</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>The head spec.</returns>
    public static MoViNetHeadSpec Head(MoViNetVariant variant) => variant switch
    {
        MoViNetVariant.A0 => new(480, 2048),
        MoViNetVariant.A1 => new(600, 2048),
        MoViNetVariant.A2 => new(640, 2048),
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown MoViNet variant."),
    };

    /// <summary>Every layer of a variant at full width (models.md §2.4).</summary>
    /// <param name="variant">The variant.</param>
    /// <returns>The layers, block by block.</returns>
    public static IReadOnlyList<MoViNetBlockSpec> Blocks(MoViNetVariant variant)
    {
        // Per block: output width, then (expand, kernel, stride) per layer; the first layer of every block but b3 strides.
        var (stem, table) = variant switch
        {
            MoViNetVariant.A0 => (8, new (int Out, (int E, Triple K)[] Layers)[]
            {
                (8, [(24, Triple.K155)]),
                (32, [(80, Triple.K333), (80, Triple.K333), (80, Triple.K333)]),
                (56, [(184, Triple.K533), (112, Triple.K333), (184, Triple.K333)]),
                (56, [(184, Triple.K533), (184, Triple.K333), (184, Triple.K333), (184, Triple.K333)]),
                (104, [(384, Triple.K533), (280, Triple.K155), (280, Triple.K155), (344, Triple.K155)]),
            }),
            MoViNetVariant.A1 => (16, new (int Out, (int E, Triple K)[] Layers)[]
            {
                (16, [(40, Triple.K155), (40, Triple.K333)]),
                (40, [(96, Triple.K333), (120, Triple.K333), (96, Triple.K333), (96, Triple.K333)]),
                (64, [(216, Triple.K533), (128, Triple.K333), (216, Triple.K333), (168, Triple.K333), (216, Triple.K333)]),
                (64, [(216, Triple.K533), (216, Triple.K333), (216, Triple.K333), (128, Triple.K333), (128, Triple.K155), (216, Triple.K333)]),
                (136, [(456, Triple.K533), (360, Triple.K155), (360, Triple.K155), (360, Triple.K155), (456, Triple.K155), (456, Triple.K333), (544, Triple.K133)]),
            }),
            MoViNetVariant.A2 => (16, new (int Out, (int E, Triple K)[] Layers)[]
            {
                (16, [(40, Triple.K155), (40, Triple.K333), (64, Triple.K333)]),
                (40, [(96, Triple.K333), (120, Triple.K333), (96, Triple.K333), (96, Triple.K333), (120, Triple.K333)]),
                (72, [(240, Triple.K533), (160, Triple.K333), (240, Triple.K333), (192, Triple.K333), (240, Triple.K333)]),
                (72, [(240, Triple.K533), (240, Triple.K333), (240, Triple.K333), (240, Triple.K333), (144, Triple.K155), (240, Triple.K333)]),
                (144, [(480, Triple.K533), (384, Triple.K155), (384, Triple.K155), (480, Triple.K155), (480, Triple.K155), (480, Triple.K333), (576, Triple.K133)]),
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(variant), variant, "Unknown MoViNet variant."),
        };
        var layers = new List<MoViNetBlockSpec>();
        int channels = stem;
        for (int b = 0; b < table.Length; b++)
        {
            for (int l = 0; l < table[b].Layers.Length; l++)
            {
                var (expand, kernel) = table[b].Layers[l];
                var stride = l == 0 && b != 3 ? Triple.S122 : Triple.One;
                layers.Add(new MoViNetBlockSpec(b, l, channels, table[b].Out, expand, kernel, stride));
                channels = table[b].Out;
            }
        }
        return layers;
    }

    /// <summary>A validated spec for a variant and mode at full width.</summary>
    /// <param name="variant">A0, A1 or A2.</param>
    /// <param name="mode">Base or stream.</param>
    /// <param name="numClasses">Output classes (600 for Kinetics-600).</param>
    /// <param name="widthMultiplier">Channel multiplier (1.0 = official).</param>
    /// <returns>The spec.</returns>
    public static MoViNetSpec For(MoViNetVariant variant, MoViNetMode mode, int numClasses, double widthMultiplier = 1.0)
    {
        var spec = new MoViNetSpec { Variant = variant, Mode = mode, NumClasses = numClasses, WidthMultiplier = widthMultiplier };
        spec.Validate();
        return spec;
    }

    /// <summary>TF/MobileNet <c>make_divisible</c>: <c>n = max(d, int(v + d/2) // d * d)</c>, plus d when n &lt; 0.9·v.</summary>
    /// <param name="value">The raw width.</param>
    /// <param name="divisor">The divisor (8).</param>
    /// <returns>The rounded width.</returns>
    public static int MakeDivisible(double value, int divisor)
    {
        int n = Math.Max(divisor, (int)(value + (divisor / 2.0)) / divisor * divisor);
        return n < 0.9 * value ? n + divisor : n;
    }
}
