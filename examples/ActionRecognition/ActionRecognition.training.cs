// This file builds and trains the pipeline (the shape Model Builder generates): videos → clips → S3D-G → labels.
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;

namespace ActionRecognition;

public partial class ActionRecognitionModel
{
    /// <summary>The knobs of the example, small enough to train on two CPU cores in about a minute (the settings of the S3D motion-learning test).</summary>
    public sealed record TrainingSettings
    {
        /// <summary>Frames sampled per video (TSN-style uniform segments).</summary>
        public int FramesPerClip { get; init; } = 8;

        /// <summary>Square frame size in pixels.</summary>
        public int FrameSize { get; init; } = 32;

        /// <summary>Passes over the training videos.</summary>
        public int Epochs { get; init; } = 30;

        /// <summary>Clips per optimisation step.</summary>
        public int BatchSize { get; init; } = 8;

        /// <summary>S3D-G channel multiplier (1.0 = the paper's 9.5 M-parameter network).</summary>
        public double WidthMultiplier { get; init; } = 0.125;

        /// <summary>Peak learning rate (AdamW with warm-up and cosine decay).</summary>
        public double LearningRate { get; init; } = 5e-3;

        /// <summary>Seed for weights, data order and sampling.</summary>
        public int Seed { get; init; } = 1;

        /// <summary>Called after every epoch (loss, accuracy, clips/s, ETA).</summary>
        public Action<EpochMetrics>? OnEpoch { get; init; }
    }

    /// <summary>
    /// The training pipeline: label names → keys, decode each video into a [3, T, H, W] clip, cache the clips
    /// in memory (they are decoded once, not once per epoch), train S3D-G, then turn keys back into names.
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
                Normalization = PixelNormalization.MinusOneToOne,
            }))
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
            {
                LabelColumnName = "Label",
                ClipColumnName = "Frames",
                Variant = S3DVariant.S3DG,
                WidthMultiplier = settings.WidthMultiplier,
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                Optimizer = VideoOptimizer.AdamW,
                LearningRate = settings.LearningRate,
                WarmupEpochs = 0.5,
                DropoutRate = 0,
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
