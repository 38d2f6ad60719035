using Microsoft.ML;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli;

/// <summary>What <c>train</c> and <c>benchmark</c> pass to a model entry; null means "the entry's default".</summary>
internal sealed record ModelSettings
{
    public int Frames { get; init; } = 8;
    public int Size { get; init; } = 32;
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public double? LearningRate { get; init; }
    public double? Width { get; init; }
    public int Seed { get; init; } = 1;
    public string Device { get; init; } = "auto";
    public string? ClipWeights { get; init; }
    public Action<EpochMetrics>? OnEpoch { get; init; }
    public string? LogDir { get; init; }

    /// <summary>Checkpoint to start from (<c>--weights</c>), as InitialWeights.</summary>
    public string? Weights { get; init; }

    /// <summary><c>--freeze all</c>.</summary>
    public bool FreezeBackbone { get; init; }

    /// <summary><c>--freeze N</c>.</summary>
    public int FrozenStages { get; init; }

    /// <summary><c>--backbone-lr-scale</c>.</summary>
    public double? BackboneLearningRateScale { get; init; }

    /// <summary>A known checkpoint's architecture, applied after the entry's own settings.</summary>
    public Action<VideoTrainerOptionsBase>? Architecture { get; init; }

    /// <summary>A known checkpoint's preprocessing (null = the entry's).</summary>
    public PixelNormalization? Normalization { get; init; }

    /// <summary>Frame sampling (null = uniform segments).</summary>
    public SamplingMode? Sampling { get; init; }

    /// <summary>Stride of dense sampling.</summary>
    public int FrameInterval { get; init; } = 1;

    /// <summary>Short side before the centre crop (null = the frame size).</summary>
    public int? ShortSide { get; init; }
}

/// <summary>
/// One model the CLI can train. Clips always reach the model as [3, T, H, W] (ClipLayout.Cthw) with the entry's pixel
/// normalisation; <see cref="CreateFeaturizer"/> (optional) runs before the trainer, for models on frozen features.
/// <see cref="Family"/> is the family's descriptor: what its network needs of a clip (checked before any data is read).
/// </summary>
internal sealed record ModelEntry(
    string Name,
    VideoBackbone Family,
    string Summary,
    PixelNormalization Normalization,
    int DefaultEpochs,
    Func<MLContext, ModelSettings, IEstimator<ITransformer>> CreateTrainer,
    Func<MLContext, ModelSettings, IEstimator<ITransformer>>? CreateFeaturizer = null)
{
    /// <summary>Epochs to train: the user's choice, else the entry's default.</summary>
    public int Epochs(ModelSettings settings) => settings.Epochs ?? DefaultEpochs;

    /// <summary>Checks <c>--frames</c> and <c>--size</c> against what the family's network needs of a clip (models on
    /// frozen features check their featurizer's input instead, when it runs).</summary>
    /// <exception cref="CliException">The clip is too short or too small for the family.</exception>
    public void CheckClip(int frames, int size)
    {
        if (CreateFeaturizer is not null) return;
        var needs = Family.Input;
        if (frames < needs.MinFrames || size < needs.MinFrameSize)
            throw new CliException($"--frames {frames} --size {size}: {Name} ({Family.FamilyName}) needs {needs}.");
    }
}

/// <summary>
/// The models of <c>mlnetvideo train --model NAME</c>. Defaults are sized for the built-in sample set on a CPU
/// (8 frames of 32², narrow networks, about a minute); every one can be overridden on the command line.
/// To add a model, add one entry here: its name, a one-line summary, its pixel normalisation, its default epochs and a
/// function that creates its trainer from <see cref="ModelSettings"/>.
/// </summary>
internal static class ModelRegistry
{
    public static IReadOnlyList<ModelEntry> All { get; } =
    [
        new("s3dg", S3DBackbone.Instance, "S3D-G (separable 3-D Inception with self-gating), width x0.125", PixelNormalization.MinusOneToOne, 30,
            (ml, s) => ml.MulticlassClassification.Trainers.S3D(Common(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3DG,
                WidthMultiplier = s.Width ?? 0.125,
            }, s, learningRate: 5e-3))),
        new("s3d", S3DBackbone.Instance, "S3D (separable 3-D Inception, no gating), width x0.125", PixelNormalization.MinusOneToOne, 30,
            (ml, s) => ml.MulticlassClassification.Trainers.S3D(Common(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3D,
                WidthMultiplier = s.Width ?? 0.125,
            }, s, learningRate: 5e-3))),
        new("movinet-a0", MoViNetBackbone.Instance, "MoViNet-A0 stream (causal; usable with `stream`), width x0.25", PixelNormalization.ZeroToOne, 30,
            (ml, s) => ml.MulticlassClassification.Trainers.MoViNet(Common(new MoViNetTrainer.Options
            {
                Variant = MoViNetVariant.A0,
                Mode = MoViNetMode.Stream,
                WidthMultiplier = s.Width ?? 0.25,
                ClassifierHiddenChannels = 64,
            }, s, learningRate: 1e-2))),
        new("tsm", TsmBackbone.Instance, "TSM-ResNet18 (temporal shift), width x0.25", PixelNormalization.ImageNet, 30,
            (ml, s) => ml.MulticlassClassification.Trainers.Tsm(Common(new TsmTrainer.Options
            {
                Depth = TsmDepth.ResNet18,
                WidthMultiplier = s.Width ?? 0.25,
                DropoutRate = 0,
            }, s, learningRate: 3e-3))),
        new("afnet", AFNetBackbone.Instance, "AFNet (AF-ResNet18: ample branch on all frames, navigation picks frames for the focal branch), width x0.25, target ratio 0.5",
            PixelNormalization.ImageNet, 30,
            (ml, s) => ml.MulticlassClassification.Trainers.AFNet(Common(new AFNetTrainer.Options
            {
                Depth = AFNetDepth.ResNet18,
                WidthMultiplier = s.Width ?? 0.25,
                TargetRatio = 0.5,
            }, s, learningRate: 3e-3))),
        new("evl", EvlBackbone.Instance, "EVL decoder on frozen CLIP features (tiny random CLIP unless --clip-weights is given)", PixelNormalization.ZeroToOne, 30,
            (ml, s) => ml.MulticlassClassification.Trainers.Evl(Common(new EvlTrainer.Options
            {
                ClipColumnName = "ClipFeatures",
                BackboneHeads = s.ClipWeights is null ? ClipVisionSpecs.Tiny.Heads : null,
                MlpDropout = 0,
            }, s, learningRate: 2e-3, batchSize: 4)),
            (ml, s) => ml.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
            {
                InputColumnName = "Frames",
                OutputColumnName = "ClipFeatures",
                InputLayout = ClipFrameLayout.Cthw,
                Variant = s.ClipWeights is null ? ClipVisionVariant.Tiny : ClipVisionVariant.VitB16,
                WeightsPath = s.ClipWeights,
                LayersKept = s.ClipWeights is null ? 2 : 4,
                Seed = s.Seed,
                Device = s.Device,
            })),
    ];

    /// <summary>Model names, for help texts.</summary>
    public static IEnumerable<string> Names => All.Select(m => m.Name);

    /// <summary>Finds a model by name (case-insensitive).</summary>
    /// <exception cref="CliException">No such model.</exception>
    public static ModelEntry Get(string name)
        => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new CliException($"Unknown model '{name}'. Choose one of: {string.Join(", ", Names)}.");

    private static T Common<T>(T options, ModelSettings s, double learningRate, int batchSize = 8) where T : VideoTrainerOptionsBase
    {
        options.LabelColumnName = "Label";
        options.ClipLayout = ClipLayout.Cthw;
        options.Epochs = s.Epochs ?? 30;
        options.BatchSize = s.BatchSize ?? batchSize;
        options.Optimizer = VideoOptimizer.AdamW;
        options.LearningRate = s.LearningRate ?? learningRate;
        options.WarmupEpochs = 0.5;
        options.DropoutRate = 0;
        options.Seed = s.Seed;
        options.Device = s.Device;
        options.MetricsCallback = s.OnEpoch;
        options.TensorBoardLogFolder = s.LogDir;
        options.InitialWeights = s.Weights;
        options.FreezeBackbone = s.FreezeBackbone;
        options.FrozenStages = s.FrozenStages;
        options.BackboneLearningRateScale = s.BackboneLearningRateScale ?? 1.0;
        s.Architecture?.Invoke(options);
        return options;
    }
}
