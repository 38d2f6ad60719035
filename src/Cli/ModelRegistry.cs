using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli;

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
