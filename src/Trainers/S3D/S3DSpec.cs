using MLNetVideo.Errors;

namespace MLNetVideo.Trainers.S3D;

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
