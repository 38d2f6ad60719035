// This file builds and trains the pipeline (the shape Model Builder generates): videos → clips → S3D-G → labels.
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Reporting;
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

    /// <summary>The data part of the pipeline: label names → keys, and each video decoded into a [3, T, H, W] clip.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="videoFolder">Folder that the VideoPath column is relative to.</param>
    /// <param name="settings">Training settings.</param>
    /// <returns>The untrained data pipeline.</returns>
    public static IEstimator<ITransformer> BuildDataPipeline(MLContext mlContext, string videoFolder, TrainingSettings settings)
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
            }));

    /// <summary>The trainer: S3D-G with AdamW, warm-up and cosine decay.</summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="settings">Training settings.</param>
    /// <returns>The trainer.</returns>
    public static IEstimator<ITransformer> BuildTrainer(MLContext mlContext, TrainingSettings settings)
        => mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
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
        });

    /// <summary>
    /// The whole training pipeline in one estimator: data pipeline, an in-memory cache (clips are decoded once, not
    /// once per epoch), S3D-G, then keys back to label names.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="videoFolder">Folder that the VideoPath column is relative to.</param>
    /// <param name="settings">Training settings.</param>
    /// <returns>The untrained pipeline.</returns>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, string videoFolder, TrainingSettings settings)
        => BuildDataPipeline(mlContext, videoFolder, settings)
            .AppendCacheCheckpoint(mlContext)
            .Append(BuildTrainer(mlContext, settings))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>
    /// Fits the pipeline on <paramref name="trainData"/>: the same steps as <see cref="BuildPipeline"/>, with the
    /// decoding done up front so that it can show progress.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="trainData">Rows with VideoPath and Label.</param>
    /// <param name="videoFolder">Folder that the VideoPath column is relative to.</param>
    /// <param name="settings">Training settings.</param>
    /// <param name="decodeProgress">Progress of decoding the training videos, or null for none.</param>
    /// <returns>The trained model.</returns>
    public static ITransformer RetrainPipeline(MLContext mlContext, IDataView trainData, string videoFolder, TrainingSettings settings,
        ConsoleProgress? decodeProgress = null)
    {
        if (decodeProgress is null) return BuildPipeline(mlContext, videoFolder, settings).Fit(trainData);
        var data = BuildDataPipeline(mlContext, videoFolder, settings).Fit(trainData);
        var clips = VideoEvaluation.Materialize(mlContext, data.Transform(trainData), "Frames", decodeProgress);
        var classifier = BuildTrainer(mlContext, settings).Fit(clips);
        var labels = mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(clips));
        return new TransformerChain<ITransformer>([.. VideoEvaluation.Flatten(data), classifier, labels]);
    }
}
