// This file trains the model the cluster will run (the shape Model Builder generates): videos → clips → S3D-G → labels.
// A real deployment trains once (here, `mlnetvideo train`, or the ActionRecognition example) and ships model.zip.
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;

namespace ClusterScoring;

public static partial class ClusterScoringModel
{
    /// <summary>One labelled video of the training set.</summary>
    public sealed class ModelInput
    {
        /// <summary>Full path of the video file.</summary>
        public string VideoPath { get; set; } = "";

        /// <summary>Its class (the folder name).</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>Trains a small S3D-G on folder-per-class videos and saves it with its decoding step (path → label).</summary>
    /// <param name="videos">Full paths of the videos; the class is each video's folder name.</param>
    /// <param name="modelPath">Where to save the zip.</param>
    /// <param name="epochs">Passes over the videos.</param>
    public static void Train(IReadOnlyList<string> videos, string modelPath, int epochs)
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(videos.Select(v => new ModelInput { VideoPath = v, Label = Path.GetFileName(Path.GetDirectoryName(v))! }));
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath", OutputColumnName = "Frames", Sampling = SamplingMode.Uniform,
                FramesPerClip = 8, FrameSize = 32, Layout = ClipLayout.Cthw, Normalization = PixelNormalization.MinusOneToOne,
            }))
            .AppendCacheCheckpoint(mlContext)                                            // decode each video once
            .Append(mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = epochs, BatchSize = 8,
                Optimizer = VideoOptimizer.AdamW, LearningRate = 5e-3, Seed = 1, Device = "cpu",
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        mlContext.Model.SaveAtomically(model, data.Schema, modelPath);   // temp file + rename
        (model as IDisposable)?.Dispose();
    }
}
