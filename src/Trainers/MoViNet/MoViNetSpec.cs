using MLNetVideo.Errors;

namespace MLNetVideo.Trainers.MoViNet;

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
