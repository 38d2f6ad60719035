using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Weights;
using static TorchSharp.torch;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Trainers.Evl;

/// <summary>
/// Trains the EVL decoder (Lin et al., "Frozen CLIP Models are Efficient Video Learners", ECCV 2022, arXiv:2208.03550) on
/// frozen CLIP features and a key label column. Create it with <c>mlContext.MulticlassClassification.Trainers.Evl(...)</c>
/// after <c>mlContext.Transforms.FeaturizeVideoWithClip(...)</c>; only the decoder and head are trained, the CLIP tower
/// (in the featurizer) never changes.
/// </summary>
/// <remarks>
/// The feature column is the featurizer's known-size Vector&lt;Single, k·M, T, tokens, W&gt;: M layers of block outputs, then
/// (k = 3, <see cref="Options.FeaturesIncludeAttention"/>) their q and k. The core reads it as a clip [C = k·M, T, H = tokens,
/// W = width], so <see cref="VideoTrainerOptionsBase.ClipLayout"/> must stay Cthw. One decoder layer per
/// kept block (paper: M = 4, width of the backbone, 1 learnable query, MLP dropout 0.5, classifier dropout 0.5; AdamW,
/// weight decay 0.05, cosine schedule).
/// <inheritdoc cref="VideoClassifierTrainerBase{TOptions, TSpec}" path="/remarks"/>
/// </remarks>
public sealed class EvlTrainer : VideoClassifierTrainerBase<EvlTrainer.Options, EvlSpec>
{
    internal static class Defaults
    {
        public const string FeaturesColumnName = "ClipFeatures";
        public const int Epochs = 10;
        public const int BatchSize = 8;
        public const double LearningRate = 4e-4;
        public const double WeightDecay = 0.05;
        public const double Dropout = 0.5;
    }

    /// <summary>Settings of <see cref="EvlTrainer"/>.</summary>
    public sealed class Options : VideoTrainerOptionsBase
    {
        /// <summary>Whether the feature column holds q and k after the block outputs (3·M slices; the featurizer's default).
        /// When false the column holds M slices and the inter-frame attention is off. Default true.</summary>
        public bool FeaturesIncludeAttention { get; set; } = true;

        /// <summary>Depthwise temporal convolution on each layer's features. Default true.</summary>
        public bool UseTemporalConv { get; set; } = true;

        /// <summary>Learned temporal position embedding on each layer's features. Default true.</summary>
        public bool UseTemporalPositionEmbedding { get; set; } = true;

        /// <summary>Use the inter-frame attention feature (needs <see cref="FeaturesIncludeAttention"/>). Default true.</summary>
        public bool UseInterFrameAttention { get; set; } = true;

        /// <summary>Heads of the CLIP tower that produced q/k; <see langword="null"/> = width / 64 (right for every public CLIP:
        /// 12 for B/16 and B/32, 16 for L/14; the Tiny test tower has 2).</summary>
        public int? BackboneHeads { get; set; }

        /// <summary>Decoder heads; <see langword="null"/> = width / 64 (at least 1), as in the paper.</summary>
        public int? DecoderHeads { get; set; }

        /// <summary>Dropout inside the decoder MLPs. Default 0.5 (the classifier dropout is <see cref="VideoTrainerOptionsBase.DropoutRate"/>).</summary>
        public double MlpDropout { get; set; } = Defaults.Dropout;

        /// <summary>Creates options with the EVL defaults (feature column "ClipFeatures", AdamW lr 4e-4, weight decay 0.05, dropout 0.5).</summary>
        public Options()
        {
            ClipColumnName = Defaults.FeaturesColumnName;
            Epochs = Defaults.Epochs;
            BatchSize = Defaults.BatchSize;
            LearningRate = Defaults.LearningRate;
            WeightDecay = Defaults.WeightDecay;
            DropoutRate = Defaults.Dropout;
            Optimizer = VideoOptimizer.AdamW;
        }

        /// <inheritdoc />
        public override void Validate()
        {
            base.Validate();
            if (ClipLayout is { } layout && layout != MLNetVideo.ClipLayout.Cthw)
                throw new ArgumentOutOfRangeException(nameof(ClipLayout), layout, "EVL reads the CLIP feature column [k·M, T, tokens, W]; keep ClipLayout = Cthw.");
            if (UseInterFrameAttention && !FeaturesIncludeAttention)
                throw new ArgumentOutOfRangeException(nameof(UseInterFrameAttention), UseInterFrameAttention, "UseInterFrameAttention needs FeaturesIncludeAttention (q/k in the feature column).");
            if (BackboneHeads is { } b) OptionChecks.Positive(b, nameof(BackboneHeads));
            if (DecoderHeads is { } d) OptionChecks.Positive(d, nameof(DecoderHeads));
            OptionChecks.InRange(MlpDropout, 0, 1, nameof(MlpDropout));
        }
    }

    internal EvlTrainer(IHostEnvironment environment, Options options) : base(environment, options)
    {
    }

    /// <inheritdoc />
    protected override VideoBackbone<EvlSpec> Backbone => EvlBackbone.Instance;

    /// <inheritdoc />
    protected override EvlSpec CreateSpec(ClipGeometry clip, int numClasses)
    {
        var o = TrainerOptions;
        int slices = o.FeaturesIncludeAttention ? 3 : 1;
        string expected = $"CLIP features [{(slices == 3 ? "3·M" : "M")}, T, tokens, W] from FeaturizeVideoWithClip (one view)";
        if (clip.Views != 1 || clip.Channels % slices != 0)
            throw SchemaErrors.Mismatch("features", o.ClipColumnName, expected, clip.ToString());
        int width = clip.Width;
        var spec = new EvlSpec
        {
            Layers = clip.Channels / slices,
            Frames = clip.Frames,
            Tokens = clip.Height,
            Width = width,
            BackboneHeads = o.BackboneHeads ?? Math.Max(1, width / 64),
            DecoderHeads = o.DecoderHeads ?? Math.Max(1, width / 64),
            MlpDropout = o.MlpDropout,
            ClassifierDropout = o.DropoutRate,
            UseTemporalConv = o.UseTemporalConv,
            UseTemporalPositionEmbedding = o.UseTemporalPositionEmbedding,
            UseInterFrameAttention = o.FeaturesIncludeAttention && o.UseInterFrameAttention,
            NumClasses = numClasses,
        };
        try
        {
            spec.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw SchemaErrors.Mismatch("features", o.ClipColumnName, $"{expected}: {e.Message}", clip.ToString());
        }
        return spec;
    }
}
