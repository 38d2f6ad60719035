using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.EndToEnd;

/// <summary>The whole product path on real mp4 files: folder-per-class videos → LoadVideoFrames → S3D-G →
/// one model zip → a PredictionEngine in a fresh MLContext that takes a video path and returns a label.</summary>
[TestClass]
public sealed class VideoPathToPredictionTests
{
    public sealed class VideoInput
    {
        public string VideoPath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    public sealed class VideoPrediction
    {
        public string PredictedLabel { get; set; } = "";
        public float[] Score { get; set; } = [];
    }

    [TestMethod]
    public void PipelineZip_PredictsASingleVideoPath_InAFreshContext()
    {
        using var folder = new TempFolder();
        var classes = new[] { SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down };
        var videos = SyntheticActionVideos.Generate(folder.Path, new SyntheticActionOptions
        {
            VideosPerClass = 3, Frames = 8, Size = 32, Seed = 5, Classes = classes,
        });
        var mlContext = new MLContext(seed: 1);
        var data = VideoDataset.FromDirectory(mlContext, folder.Path);
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath", OutputColumnName = "Frames", VideoFolder = folder.Path,
                Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = 32, Layout = ClipLayout.Cthw,
            }))
            .AppendCacheCheckpoint(mlContext)
            .Append(mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 4, Seed = 3,
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        var probe = new VideoInput { VideoPath = videos[4].RelativePath };
        var expected = mlContext.Model.CreatePredictionEngine<VideoInput, VideoPrediction>(model).Predict(probe);

        var fresh = new MLContext();
        var loaded = fresh.Model.Load(zip, new VideoModelLoadOptions { VideoFolder = folder.Path }, out var inputSchema);
        Assert.AreEqual(TextDataViewType.Instance, inputSchema["VideoPath"].Type);
        var engine = fresh.Model.CreatePredictionEngine<VideoInput, VideoPrediction>(loaded);
        var prediction = engine.Predict(probe);

        Assert.AreEqual(classes.Length, prediction.Score.Length);
        Assert.AreEqual(1.0, prediction.Score.Sum(), 1e-4);
        var names = classes.Select(c => c.ToString().ToLowerInvariant()).ToArray();
        Assert.IsTrue(names.Contains(prediction.PredictedLabel.ToLowerInvariant()), prediction.PredictedLabel);
        Assert.AreEqual(expected.PredictedLabel, prediction.PredictedLabel);
        for (int i = 0; i < expected.Score.Length; i++)
            Assert.AreEqual(expected.Score[i], prediction.Score[i], 1e-5, $"class {i}");
        // The predicted label is the arg-max of the scores.
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        loaded.GetOutputSchema(inputSchema)["Score"].GetSlotNames(ref slotNames);
        var best = slotNames.DenseValues().ElementAt(Array.IndexOf(prediction.Score, prediction.Score.Max())).ToString();
        Assert.AreEqual(best, prediction.PredictedLabel);
    }
}
