using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Datasets;

/// <summary>
/// Issue 18, item 7: rows are read from the dataset they belong to. Folder B repeats folder A's file names with other
/// content; a model trained on A and evaluated on B must decode B's videos (checked by their grey level), never A's, and a
/// model whose <c>VideoFolder</c> is A must refuse B's rows by name instead of reading A's files of the same name.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class DatasetRootTests
{
    private const int Size = 32;
    private static TempFolder s_folder = null!;
    private static string s_a = null!, s_b = null!;

    // Grey level of every frame of each video: A dark, B bright, so a clip's mean says which folder it came from.
    private static readonly Dictionary<string, byte> LevelsA = new() { ["left/000.mp4"] = 40, ["left/001.mp4"] = 50, ["right/000.mp4"] = 60, ["right/001.mp4"] = 70 };
    private static readonly Dictionary<string, byte> LevelsB = new() { ["left/000.mp4"] = 200, ["left/001.mp4"] = 210, ["right/000.mp4"] = 220, ["right/001.mp4"] = 230 };

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        s_folder = new TempFolder("mlnv-dataset-root");
        s_a = s_folder.File("A");
        s_b = s_folder.File("B");
        foreach (var (root, levels) in new[] { (s_a, LevelsA), (s_b, LevelsB) })
            foreach (var (name, level) in levels)
            {
                string path = Path.Combine(root, name);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                SyntheticActionVideos.Encode(path, TestVideos.Solid(8, Size, Size, level, level, level), Size, Size, 25, SyntheticVideoFormat.Mp4H264);
            }
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder?.Dispose();

    private static ITransformer Train(MLContext mlContext, IDataView data, string? videoFolder)
        => mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath", OutputColumnName = "Frames", VideoFolder = videoFolder, Sampling = SamplingMode.Uniform,
                FramesPerClip = 8, FrameSize = Size, Layout = ClipLayout.Cthw, Normalization = PixelNormalization.ZeroToOne,
            }))
            .Append(mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
            {
                Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 2, Device = "cpu", Seed = 3, ClipColumnName = "Frames",
            }))
            .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"))
            .Fit(data);

    /// <summary>The grey level (0–255) each row's clip was decoded from, keyed by the row's path relative to its root.</summary>
    private static Dictionary<string, double> LevelsRead(MLContext mlContext, ITransformer model, IDataView data, string root)
    {
        var scored = model.Transform(data);
        var paths = mlContext.Data.CreateEnumerable<VideoDatasetRow>(data, reuseRowObject: false).Select(r => r.VideoPath).ToArray();
        var clips = TestVideos.ReadClips(scored);
        Assert.HasCount(paths.Length, clips);
        return paths.Zip(clips).ToDictionary(p => Path.GetRelativePath(root, p.First).Replace('\\', '/'), p => p.Second.Average() * 255.0);
    }

    [TestMethod]
    public void TrainedOnA_EvaluatedOnB_WithTheSameFileNames_ReadsB()
    {
        var mlContext = new MLContext(seed: 1);
        var model = Train(mlContext, VideoDataset.FromDirectory(mlContext, s_a), videoFolder: null);
        var testSet = VideoDataset.FromDirectory(mlContext, s_b);

        var levels = LevelsRead(mlContext, model, testSet, s_b);
        CollectionAssert.AreEquivalent(LevelsB.Keys.ToArray(), levels.Keys.ToArray());
        foreach (var (name, level) in LevelsB)
            Assert.AreEqual(level, levels[name], 6, $"{name}: B's video (level {level}) must be read, not A's (level {LevelsA[name]})");

        var evaluation = MLNetVideo.Reporting.VideoEvaluation.Evaluate(mlContext, model, testSet);
        Assert.AreEqual(4, evaluation.Count);

        // The same after a save and a load in a fresh context (no folder in the load options: rows name their files).
        string zip = s_folder.File("model-a.zip");
        mlContext.Model.SaveAtomically(model, testSet.Schema, zip);
        var fresh = new MLContext(seed: 2);
        var loaded = fresh.Model.Load(zip, new VideoModelLoadOptions(), out _);
        var reloaded = LevelsRead(fresh, loaded, VideoDataset.FromDirectory(fresh, s_b), s_b);
        foreach (var (name, level) in LevelsB)
            Assert.AreEqual(level, reloaded[name], 6, name);
    }

    [TestMethod]
    public void ModelWhoseVideoFolderIsA_RefusesBsRowsByName_InsteadOfReadingAsFiles()
    {
        var mlContext = new MLContext(seed: 1);
        var model = Train(mlContext, VideoDataset.FromDirectory(mlContext, s_a), videoFolder: s_a);
        var levelsA = LevelsRead(mlContext, model, VideoDataset.FromDirectory(mlContext, s_a), s_a);
        foreach (var (name, level) in LevelsA)
            Assert.AreEqual(level, levelsA[name], 6, name);

        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => TestVideos.ReadClips(model.Transform(VideoDataset.FromDirectory(mlContext, s_b))));
        Assert.AreEqual(VideoDecodingFailure.OutsideVideoFolder, ex.Failure);
        StringAssert.StartsWith(ex.VideoPath, Path.GetFullPath(s_b));
    }
}
