// This file builds and trains the pipeline (the shape Model Builder generates): videos → clips → frozen CLIP → EVL → labels.
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Transforms.Decoding;

namespace ClipEvl;

public partial class ClipEvlModel
{
    /// <summary>The knobs of the example.</summary>
    public sealed record TrainingSettings
    {
        /// <summary>CLIP weights (safetensors or a PyTorch zip, OpenAI or Hugging Face layout); null for a tiny random CLIP.</summary>
        public string? ClipWeightsPath { get; init; }

        /// <summary>The CLIP tower the weights belong to (ignored without weights).</summary>
        public ClipVisionVariant ClipVariant { get; init; } = ClipVisionVariant.VitB16;

        /// <summary>Frames sampled per video.</summary>
        public int FramesPerClip { get; init; } = 8;

        /// <summary>Passes over the training videos.</summary>
        public int Epochs { get; init; } = 30;

        /// <summary>Clips per optimisation step.</summary>
        public int BatchSize { get; init; } = 4;

        /// <summary>Peak learning rate (AdamW, warm-up, cosine decay).</summary>
        public double LearningRate { get; init; } = 2e-3;

        /// <summary>Seed for the decoder's weights and the data order.</summary>
        public int Seed { get; init; } = 1;

        /// <summary>Called after every epoch.</summary>
        public Action<EpochMetrics>? OnEpoch { get; init; }

        /// <summary>Whether the tiny random CLIP is used (no weights file).</summary>
        public bool UsesTinyRandomClip => ClipWeightsPath is null;

        /// <summary>The CLIP tower's input size: 224 for the public towers, 32 for the tiny one.</summary>
        public int FrameSize => ClipVisionSpecs.Get(UsesTinyRandomClip ? ClipVisionVariant.Tiny : ClipVariant).ImageSize;
    }

    /// <summary>
    /// Labels → keys, decode [3, T, H, W] clips in [0, 1], frozen CLIP features (computed once, then cached in memory),
    /// the EVL decoder (the only part that trains), keys → labels.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="videoFolder">Folder that the VideoPath column is relative to.</param>
    /// <param name="settings">Training settings.</param>
    /// <returns>The untrained pipeline.</returns>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, string videoFolder, TrainingSettings settings)
        => mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath",
                OutputColumnName = "Frames",
                VideoFolder = videoFolder,
                Sampling = SamplingMode.Uniform,
                FramesPerClip = settings.FramesPerClip,
                FrameSize = settings.FrameSize,
                Layout = ClipLayout.Cthw,
                Normalization = PixelNormalization.ZeroToOne,
            }))
            .Append(mlContext.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
            {
                InputColumnName = "Frames",
                InputLayout = ClipFrameLayout.Cthw,
                OutputColumnName = "ClipFeatures",
                Variant = settings.UsesTinyRandomClip ? ClipVisionVariant.Tiny : settings.ClipVariant,
                WeightsPath = settings.ClipWeightsPath,
                LayersKept = settings.UsesTinyRandomClip ? 2 : 4,
                Seed = settings.Seed,
            }))
            // CLIP is frozen, so its features are the same every epoch: compute them once.
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.Evl(new EvlTrainer.Options
            {
                LabelColumnName = "Label",
                ClipColumnName = "ClipFeatures",
                BackboneHeads = settings.UsesTinyRandomClip ? ClipVisionSpecs.Tiny.Heads : null,
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                LearningRate = settings.LearningRate,
                WarmupEpochs = 0.5,
                DropoutRate = 0,
                MlpDropout = 0,
                Seed = settings.Seed,
                MetricsCallback = settings.OnEpoch,
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>Fits the pipeline on <paramref name="trainData"/>.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="trainData">Rows with VideoPath and Label.</param>
    /// <param name="videoFolder">Folder that the VideoPath column is relative to.</param>
    /// <param name="settings">Training settings.</param>
    /// <returns>The trained model.</returns>
    public static ITransformer RetrainPipeline(MLContext mlContext, IDataView trainData, string videoFolder, TrainingSettings settings)
        => BuildPipeline(mlContext, videoFolder, settings).Fit(trainData);
}
