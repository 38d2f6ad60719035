using MLNetVideo.Errors;

namespace MLNetVideo.Trainers.S3D;

/// <summary>The two networks of "Rethinking Spatiotemporal Feature Learning" (Xie et al., ECCV 2018, arXiv:1712.04851).</summary>
public enum S3DVariant
{
    /// <summary>S3D: Inception-v1 with every 3-D conv split into a 1×k×k spatial and a k×1×1 temporal conv.</summary>
    S3D = 0,

    /// <summary>S3D-G: S3D plus feature self-gating after Conv2d_2c_3x3 and after every Inception branch.</summary>
    S3DG = 1,
}

/// <summary>Batch-norm settings in PyTorch convention (momentum is the weight of the new batch statistics).</summary>
/// <param name="Eps">Added to the variance.</param>
/// <param name="Momentum">Running-statistics update weight.</param>
public readonly record struct S3DBatchNorm(double Eps, double Momentum)
{
    /// <summary>The reference implementation's values (eps 1e-3, momentum 1e-3 = TF decay 0.999).</summary>
    public static S3DBatchNorm Reference => new(1e-3, 1e-3);
}

/// <summary>Output widths of one Inception block: branch 0 (1×1×1), branches 1 and 2 (1×1×1 reduce → separable 3×3),
/// branch 3 (pool → 1×1×1).</summary>
/// <param name="Branch0">Branch 0 width.</param>
/// <param name="Branch1Reduce">Branch 1 reduction width.</param>
/// <param name="Branch1">Branch 1 width.</param>
/// <param name="Branch2Reduce">Branch 2 reduction width.</param>
/// <param name="Branch2">Branch 2 width.</param>
/// <param name="Branch3">Branch 3 width.</param>
public readonly record struct S3DInceptionWidths(int Branch0, int Branch1Reduce, int Branch1, int Branch2Reduce, int Branch2, int Branch3)
{
    /// <summary>Channels after the concat.</summary>
    public int Output => Branch0 + Branch1 + Branch2 + Branch3;

    /// <summary>Every width multiplied by <paramref name="multiplier"/> (rounded to a multiple of 16, at least 16, unless 1.0).</summary>
    /// <param name="multiplier">The width multiplier.</param>
    /// <returns>The scaled widths.</returns>
    public S3DInceptionWidths Scale(double multiplier) => new(
        S3DSpec.ScaleChannels(Branch0, multiplier), S3DSpec.ScaleChannels(Branch1Reduce, multiplier), S3DSpec.ScaleChannels(Branch1, multiplier),
        S3DSpec.ScaleChannels(Branch2Reduce, multiplier), S3DSpec.ScaleChannels(Branch2, multiplier), S3DSpec.ScaleChannels(Branch3, multiplier));
}

/// <summary>
/// Architecture of an S3D / S3D-G network: everything needed to rebuild it (stored in the model zip next to the weights).
/// </summary>
/// <remarks>
/// The layer order is that of the reference implementation (kylemin/S3D), whose <c>base</c> Sequential is:
/// 0 SepConv 7 (stride 2), 1 MaxPool (1,3,3), 2 BasicConv 1, 3 SepConv 3, 4 MaxPool (1,3,3), 5–6 Mixed_3b–3c,
/// 7 MaxPool (3,3,3) s2, 8–12 Mixed_4b–4f, 13 MaxPool (2,2,2) s2, 14–15 Mixed_5b–5c; head <c>fc.0</c> (1×1×1 Conv3d).
/// </remarks>
public sealed record S3DSpec
{
    /// <summary>S3D or S3D-G.</summary>
    public S3DVariant Variant { get; init; } = S3DVariant.S3D;

    /// <summary>Number of output classes.</summary>
    public int NumClasses { get; init; } = 400;

    /// <summary>Multiplies every channel count (1.0 = the paper's table). Otherwise rounded to a multiple of 16, at least 16.</summary>
    public double WidthMultiplier { get; init; } = 1.0;

    /// <summary>Dropout before the classifier (no weights; torchvision uses 0.2, TF-Slim keep 0.8).</summary>
    public double DropoutRate { get; init; } = 0.2;

    /// <summary>Batch-norm eps and momentum (PyTorch convention).</summary>
    public S3DBatchNorm BatchNorm { get; init; } = S3DBatchNorm.Reference;

    /// <summary>
    /// Index in <c>base</c> of the first separable unit with a temporal kernel (0 = every unit is 3-D, the released S3D).
    /// Units before it use a temporal kernel of 1 (2-D), which gives the paper's "top-heavy" networks, for example 8 = 3-D
    /// from Mixed_4b on. State-dict names do not change; the <c>conv_t</c> weights of 2-D units are (C,C,1,1,1).
    /// </summary>
    public int TemporalStartLayer { get; init; }

    /// <summary>Channels of the stem and of every Inception block, after the width multiplier.</summary>
    /// <returns>Stem widths (Conv1a, Conv2b, Conv2c) and the nine Inception blocks.</returns>
    public (int Conv1a, int Conv2b, int Conv2c, S3DInceptionWidths[] Blocks) Widths()
        => (ScaleChannels(64, WidthMultiplier), ScaleChannels(64, WidthMultiplier), ScaleChannels(192, WidthMultiplier),
            S3DSpecs.InceptionTable.Select(w => w.Scale(WidthMultiplier)).ToArray());

    /// <summary>Channels entering the classifier.</summary>
    public int FeatureChannels => Widths().Blocks[^1].Output;

    /// <summary>Checks every value, naming the property and the rule.</summary>
    public void Validate()
    {
        OptionChecks.Defined(Variant, nameof(Variant));
        OptionChecks.Positive(NumClasses, nameof(NumClasses));
        OptionChecks.InRange(WidthMultiplier, 1.0 / 64, 4.0, nameof(WidthMultiplier));
        OptionChecks.InRange(DropoutRate, 0, 0.99, nameof(DropoutRate));
        OptionChecks.Positive(BatchNorm.Eps, "BatchNorm.Eps");
        OptionChecks.InRange(BatchNorm.Momentum, 0, 1, "BatchNorm.Momentum");
        OptionChecks.InRange(TemporalStartLayer, 0, S3DSpecs.LayerCount, nameof(TemporalStartLayer));
    }

    /// <summary>Scaled width: the table value at 1.0; otherwise rounded to the nearest multiple of 16, at least 16
    /// (MobileNet's <c>make_divisible</c> with divisor 16). The divisor keeps libtorch's CPU kernels on their correct paths:
    /// channel counts above 16 that are not multiples of 16 produced garbage/NaN outputs and gradients in TorchSharp-cpu
    /// 0.107 on this project's machines (see <c>SepConv3d.SpatialConv</c>).</summary>
    internal static int ScaleChannels(int channels, double multiplier)
        => multiplier == 1.0 ? channels : Math.Max(16, (int)Math.Round(channels * multiplier / 16.0, MidpointRounding.AwayFromZero) * 16);
}

/// <summary>The paper's tables (Xie et al., ECCV 2018) and the named configurations.</summary>
public static class S3DSpecs
{
    /// <summary>Number of entries in <c>base</c> (pools included).</summary>
    public const int LayerCount = 16;

    /// <summary>Smallest clip the network accepts: 8 frames of 32×32 (five stride-2 stages in space, three in time).</summary>
    public const int MinFrames = 8;

    /// <summary>Smallest frame side.</summary>
    public const int MinFrameSize = 32;

    /// <summary>Indices in <c>base</c> of the nine Inception blocks (Mixed_3b … Mixed_5c).</summary>
    internal static readonly int[] MixedLayerIndices = [5, 6, 8, 9, 10, 11, 12, 14, 15];

    /// <summary>Inception channel table, Mixed_3b … Mixed_5c (identical for S3D and S3D-G).</summary>
    public static IReadOnlyList<S3DInceptionWidths> InceptionTable { get; } =
    [
        new(64, 96, 128, 16, 32, 32),      // Mixed_3b  192 → 256
        new(128, 128, 192, 32, 96, 64),    // Mixed_3c  256 → 480
        new(192, 96, 208, 16, 48, 64),     // Mixed_4b  480 → 512
        new(160, 112, 224, 24, 64, 64),    // Mixed_4c  512 → 512
        new(128, 128, 256, 24, 64, 64),    // Mixed_4d  512 → 512
        new(112, 144, 288, 32, 64, 64),    // Mixed_4e  512 → 528
        new(256, 160, 320, 32, 128, 128),  // Mixed_4f  528 → 832
        new(256, 160, 320, 32, 128, 128),  // Mixed_5b  832 → 832
        new(384, 192, 384, 48, 128, 128),  // Mixed_5c  832 → 1024
    ];

    /// <summary>The paper's network for <paramref name="numClasses"/> classes, optionally narrowed.</summary>
    /// <param name="variant">S3D or S3D-G.</param>
    /// <param name="numClasses">Output classes.</param>
    /// <param name="widthMultiplier">Channel multiplier (1.0 = paper).</param>
    /// <returns>The validated spec.</returns>
    public static S3DSpec For(S3DVariant variant, int numClasses, double widthMultiplier = 1.0)
    {
        var spec = new S3DSpec { Variant = variant, NumClasses = numClasses, WidthMultiplier = widthMultiplier };
        spec.Validate();
        return spec;
    }
}
