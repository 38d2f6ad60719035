namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The official block tables of A0, A1 and A2 (from Model Garden <c>movinet.py</c> BLOCK_SPECS).</summary>
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

    /// <summary>Every layer of a variant at full width (Model Garden movinet.py).</summary>
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
