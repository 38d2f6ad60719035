using Microsoft.ML;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Datasets;

[TestClass, DoNotParallelize]
public sealed class VideoDatasetTests
{
    private static string _folder = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("dataset");
        SyntheticActionVideos.Generate(_folder, new SyntheticActionOptions
        {
            VideosPerClass = 3, Frames = 4, Size = 16, Classes = [SyntheticAction.Up, SyntheticAction.Down, SyntheticAction.Left],
        });
        SyntheticActionVideos.Encode(Path.Combine(_folder, "left", "rawframes_a"), TestVideos.Ramp(3, 16, 10), 16, 16, 25, SyntheticVideoFormat.JpgFrames);
        File.WriteAllText(Path.Combine(_folder, "left", "notes.txt"), "not a video");
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    [TestMethod]
    public void FolderPerClass_DeterministicOrder_RelativePaths()
    {
        var rows = VideoDataset.List(_folder, absolutePaths: false);
        CollectionAssert.AreEqual(
            new[] { "down/000.mp4", "down/001.mp4", "down/002.mp4", "left/000.mp4", "left/001.mp4", "left/002.mp4", "left/rawframes_a", "up/000.mp4", "up/001.mp4", "up/002.mp4" },
            rows.Select(r => r.VideoPath).ToArray());
        CollectionAssert.AreEqual(new[] { "down", "down", "down", "left", "left", "left", "left", "up", "up", "up" }, rows.Select(r => r.Label).ToArray());
    }

    [TestMethod]
    public void ExtensionFilter_AndFrameFoldersOff()
    {
        var rows = VideoDataset.List(_folder, extensions: ["webm"], includeFrameFolders: true, absolutePaths: false);
        CollectionAssert.AreEqual(new[] { "left/rawframes_a" }, rows.Select(r => r.VideoPath).ToArray());
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => VideoDataset.List(_folder, ["webm"], includeFrameFolders: false));
        StringAssert.Contains(ex.Message, "No videos were found");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => VideoDataset.List(Path.Combine(_folder, "nope")));
    }

    [TestMethod]
    public void WorksWithTrainTestSplitAndLoadVideoFrames()
    {
        var mlContext = new MLContext(seed: 3);
        var data = VideoDataset.FromDirectory(mlContext, _folder);
        var split = mlContext.Data.TrainTestSplit(data, testFraction: 0.3, seed: 3);
        var train = mlContext.Data.CreateEnumerable<VideoDatasetRow>(split.TrainSet, reuseRowObject: false).ToList();
        var test = mlContext.Data.CreateEnumerable<VideoDatasetRow>(split.TestSet, reuseRowObject: false).ToList();
        Assert.AreEqual(10, train.Count + test.Count);
        Assert.IsNotEmpty(train);
        Assert.IsNotEmpty(test);
        CollectionAssert.AreEquivalent(VideoDataset.List(_folder).Select(r => r.VideoPath).ToList(), train.Concat(test).Select(r => r.VideoPath).ToList());

        var pipeline = mlContext.Transforms.LoadVideoFrames("Frames", "VideoPath", videoFolder: _folder, framesPerClip: 2, frameInterval: 1, frameSize: 16)
            .Append(mlContext.Transforms.Conversion.MapValueToKey("Label"));
        var clips = TestVideos.ReadClips(pipeline.Fit(split.TestSet).Transform(split.TestSet));
        Assert.HasCount(test.Count, clips);
        foreach (var (row, clip) in test.Zip(clips))
        {
            Assert.HasCount(2 * 3 * 16 * 16, clip);
            if (row.VideoPath.EndsWith("/left/rawframes_a", StringComparison.Ordinal))
                Assert.AreEqual(10 / 255f, clip.Max(), 2 / 255f, "frame folder: the centred clip of 2 in 3 frames is frames 0-1, max level 10");
            else
                Assert.IsTrue(clip.Max() > 0.3f, $"{row.VideoPath}: the shape should be bright");
        }
    }
}
