using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>LoadVideoFrames → model zip → load in a new MLContext gives identical tensors, also through PredictionEngine.</summary>
[TestClass, DoNotParallelize]
public sealed class VideoFrameLoadingPersistenceTests
{
    private static string _folder = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("persist");
        SyntheticActionVideos.Generate(Path.Combine(_folder, "videos"), new SyntheticActionOptions
        {
            VideosPerClass = 1, Frames = 12, Size = 32, Seed = 5, Classes = [SyntheticAction.Left, SyntheticAction.Clockwise, SyntheticAction.Growing],
        });
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static VideoFrameLoadingEstimator.Options Options() => new()
    {
        InputColumnName = "VideoPath", VideoFolder = Path.Combine(_folder, "videos"), Sampling = SamplingMode.Uniform, FramesPerClip = 4,
        FrameSize = 32, ShortSideSize = 40, Mode = VideoLoadingMode.Training, HorizontalFlip = true, Normalization = PixelNormalization.Clip,
        Layout = ClipLayout.Cthw,
    };

    [TestMethod]
    public void SaveLoad_NewContext_IdenticalTensorsAndSchema()
    {
        string[] paths = ["left/000.mp4", "clockwise/000.mp4", "growing/000.mp4"];
        var mlContext = new MLContext(seed: 42);
        var data = TestVideos.Paths(mlContext, paths);
        var model = mlContext.Transforms.LoadVideoFrames(Options()).Fit(data);
        var before = TestVideos.ReadClips(model.Transform(data));
        string zip = Path.Combine(_folder, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        var other = new MLContext(seed: 7);   // a different context seed must not change the saved, resolved seed
        // The folder comes from the loading application, never from the zip (issue 15).
        var loaded = other.Model.Load(zip, new VideoModelLoadOptions { VideoFolder = Path.Combine(_folder, "videos") }, out var inputSchema);
        Assert.AreEqual("VideoPath", inputSchema["VideoPath"].Name);
        var otherData = TestVideos.Paths(other, paths);
        var output = loaded.Transform(otherData);
        var type = (VectorDataViewType)output.Schema["Frames"].Type;
        CollectionAssert.AreEqual(new[] { 3, 4, 32, 32 }, type.Dimensions.ToArray());
        var after = TestVideos.ReadClips(output);
        Assert.HasCount(3, after);
        for (int i = 0; i < 3; i++)
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
        Assert.IsTrue(before[0].Any(v => v != 0f) && !before[0].SequenceEqual(before[1]), "rows must hold real, distinct clips");

        var transformer = (VideoFrameLoadingTransformer)loaded;
        Assert.AreEqual(42, transformer.GetOptions().Seed);
    }

    [TestMethod]
    public void PredictionEngine_OnLoadedModel_MatchesTheCursor()
    {
        var mlContext = new MLContext(seed: 1);
        var options = Options();
        options.Mode = VideoLoadingMode.Inference;
        var data = TestVideos.Paths(mlContext, "left/000.mp4");
        var model = mlContext.Transforms.LoadVideoFrames(options).Fit(data);
        var expected = TestVideos.ReadClips(model.Transform(data))[0];
        string zip = Path.Combine(_folder, "engine.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        var other = new MLContext();
        VideoModelLoadOptions.Default = new VideoModelLoadOptions { VideoFolder = Path.Combine(_folder, "videos") };
        ITransformer loaded;
        try
        {
            loaded = other.Model.Load(zip, out _);   // plain ML.NET load: the process-wide options apply
        }
        finally
        {
            VideoModelLoadOptions.Default = new VideoModelLoadOptions();
        }
        var engine = other.Model.CreatePredictionEngine<TestVideos.PathRow, ClipRow>(loaded);
        var clip = engine.Predict(new TestVideos.PathRow { VideoPath = "left/000.mp4" }).Frames;
        CollectionAssert.AreEqual(expected, clip);
        var second = engine.Predict(new TestVideos.PathRow { VideoPath = "growing/000.mp4" }).Frames;
        CollectionAssert.AreNotEqual(expected, second);
    }

    private sealed class ClipRow
    {
        [VectorType(3, 4, 32, 32)]
        public float[] Frames { get; set; } = [];
    }
}
