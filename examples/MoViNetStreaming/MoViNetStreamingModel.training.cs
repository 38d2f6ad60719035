// This file builds and trains the pipeline (the shape Model Builder generates): videos → clips → stream MoViNet → labels.
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MoViNetStreaming;

public partial class MoViNetStreamingModel
{
    /// <summary>The knobs of the example, small enough to train on two CPU cores in a minute or two.</summary>
    public sealed record TrainingSettings
    {
        /// <summary>Consecutive frames per training clip (a stream model sees every frame, so training clips are dense).</summary>
        public int FramesPerClip { get; init; } = 8;

        /// <summary>Square frame size in pixels (the stream resizes every streamed frame to it).</summary>
        public int FrameSize { get; init; } = 32;

        /// <summary>Passes over the training videos.</summary>
        public int Epochs { get; init; } = 15;

        /// <summary>Sample videos per class (left, right, up, down).</summary>
        public int VideosPerClass { get; init; } = 24;

        /// <summary>MoViNet-A0 channel multiplier (1.0 = the paper's network).</summary>
        public double WidthMultiplier { get; init; } = 0.25;

        /// <summary>Seed for the sample set, weights and data order.</summary>
        public int Seed { get; init; } = 1;

        /// <summary>Called after every epoch.</summary>
        public Action<EpochMetrics>? OnEpoch { get; init; }
    }

    /// <summary>
    /// The training pipeline: label names → keys, decode each video into a [3, T, H, W] clip of consecutive frames in
    /// [0, 1], cache the clips, train a causal (stream) MoViNet-A0, then turn keys back into names. The zip keeps the
    /// LoadVideoFrames step, so a stream opened on the loaded model resizes and normalizes frames the same way.
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
                Sampling = SamplingMode.Dense,
                FramesPerClip = settings.FramesPerClip,
                FrameInterval = 1,
                FrameSize = settings.FrameSize,
                Resize = ResizeMode.Stretch,
                Layout = ClipLayout.Cthw,
                Normalization = PixelNormalization.ZeroToOne,
            }))
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options
            {
                LabelColumnName = "Label",
                ClipColumnName = "Frames",
                Variant = MoViNetVariant.A0,
                Mode = MoViNetMode.Stream,
                WidthMultiplier = settings.WidthMultiplier,
                ClassifierHiddenChannels = 64,
                Epochs = settings.Epochs,
                BatchSize = 8,
                Optimizer = VideoOptimizer.AdamW,
                LearningRate = 1e-2,
                WarmupEpochs = 0.5,
                DropoutRate = 0,
                Seed = settings.Seed,
                MetricsCallback = settings.OnEpoch,
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    /// <summary>Writes the built-in sample set to <paramref name="dataFolder"/> (replacing it), trains on it and saves the
    /// model to <paramref name="modelPath"/>.</summary>
    /// <param name="dataFolder">Where the sample videos go (one folder per class).</param>
    /// <param name="modelPath">The zip to write.</param>
    /// <param name="settings">Training settings.</param>
    public static void TrainAndSave(string dataFolder, string modelPath, TrainingSettings settings)
    {
        if (Directory.Exists(dataFolder))
            Directory.Delete(dataFolder, recursive: true);
        SyntheticActionVideos.Generate(dataFolder, new SyntheticActionOptions
        {
            VideosPerClass = settings.VideosPerClass,
            Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
            Frames = 16,
            Size = SampleVideos.Size,
            FramesPerSecond = SampleVideos.FramesPerSecond,
            Seed = settings.Seed,
        });
        var mlContext = new MLContext(seed: settings.Seed);
        var data = VideoDataset.FromDirectory(mlContext, dataFolder);
        var model = BuildPipeline(mlContext, dataFolder, settings).Fit(data);
        mlContext.Model.SaveAtomically(model, data.Schema, modelPath);
        (model as IDisposable)?.Dispose();
    }
}
