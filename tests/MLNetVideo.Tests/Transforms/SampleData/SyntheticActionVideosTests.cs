using Microsoft.ML;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.SampleData;

[TestClass, DoNotParallelize]
public sealed class SyntheticActionVideosTests
{
    private static string _folder = null!;
    private static IReadOnlyList<SyntheticVideo> _videos = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("synthetic");
        _videos = SyntheticActionVideos.Generate(Path.Combine(_folder, "a"), new SyntheticActionOptions { VideosPerClass = 2, Frames = 8, Size = 32, Seed = 11 });
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    [TestMethod]
    public void WritesFolderPerClassMp4s()
    {
        Assert.HasCount(16, _videos);
        CollectionAssert.AreEqual(new[] { "left", "right", "up", "down", "clockwise", "anticlockwise", "growing", "shrinking" },
            _videos.Select(v => v.Label).Distinct().ToArray());
        Assert.AreEqual("clockwise/001.mp4", _videos[9].RelativePath);
        Assert.IsTrue(_videos.All(v => File.Exists(v.Path) && new FileInfo(v.Path).Length > 200));
    }

    [TestMethod]
    public void SameSeed_SamePixels_OtherSeed_OtherPixels()
    {
        var options = new SyntheticActionOptions { Frames = 4, Size = 16, Seed = 11 };
        var a = SyntheticActionVideos.Render(SyntheticAction.Left, options, Determinism.Seeding.CreateRandom(11, Determinism.RandomStream.Model, 5));
        var b = SyntheticActionVideos.Render(SyntheticAction.Left, options, Determinism.Seeding.CreateRandom(11, Determinism.RandomStream.Model, 5));
        var c = SyntheticActionVideos.Render(SyntheticAction.Left, options, Determinism.Seeding.CreateRandom(12, Determinism.RandomStream.Model, 5));
        Assert.IsTrue(a.Zip(b).All(p => p.First.SequenceEqual(p.Second)));
        Assert.IsFalse(a.Zip(c).All(p => p.First.SequenceEqual(p.Second)));

        var again = SyntheticActionVideos.Generate(Path.Combine(_folder, "b"), new SyntheticActionOptions { VideosPerClass = 2, Frames = 8, Size = 32, Seed = 11 });
        var mlContext = new MLContext();
        var clips = Decode(mlContext, _videos[0].Path, again[0].Path);
        CollectionAssert.AreEqual(clips[0], clips[1], "the same seed must give the same decoded video");
    }

    [TestMethod]
    public void ClassesDifferOnlyInTime_ReversedLeftLooksLikeRight()
    {
        // Frame-order matters: the mean frame of a video says nothing about its direction, the first-vs-last frame does.
        var options = new SyntheticActionOptions { Frames = 8, Size = 32, Noise = 0, RandomColours = false };
        var left = SyntheticActionVideos.Render(SyntheticAction.Left, options, new Random(1));
        var right = SyntheticActionVideos.Render(SyntheticAction.Right, options, new Random(1));
        Assert.IsTrue(CentroidX(left[^1]) < CentroidX(left[0]) - 5);
        Assert.IsTrue(CentroidX(right[^1]) > CentroidX(right[0]) + 5);
        var grow = SyntheticActionVideos.Render(SyntheticAction.Growing, options, new Random(2));
        var shrink = SyntheticActionVideos.Render(SyntheticAction.Shrinking, options, new Random(2));
        Assert.IsTrue(Area(grow[^1]) > 4 * Area(grow[0]));
        Assert.IsTrue(Area(shrink[0]) > 4 * Area(shrink[^1]));
        Assert.AreEqual(Area(grow[0]), Area(shrink[^1]), 2, "growing reversed is shrinking: same sizes, opposite order");
        var cw = SyntheticActionVideos.Render(SyntheticAction.Clockwise, options, new Random(3));
        var ccw = SyntheticActionVideos.Render(SyntheticAction.Anticlockwise, options, new Random(3));
        Assert.IsTrue(Turn(cw) > 0 && Turn(ccw) < 0, $"turn cw {Turn(cw)}, ccw {Turn(ccw)}");
    }

    private static List<float[]> Decode(MLContext mlContext, params string[] paths)
    {
        var data = TestVideos.Paths(mlContext, paths);
        var options = new VideoFrameLoadingEstimator.Options { InputColumnName = "VideoPath", FramesPerClip = 8, FrameInterval = 1, FrameSize = 32, Resize = ResizeMode.Stretch };
        return TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data));
    }

    private static double CentroidX(byte[] frame) => Centroid(frame).X;

    private static int Area(byte[] frame) => Enumerable.Range(0, frame.Length / 3).Count(i => frame[i * 3] > 128);

    private static (double X, double Y) Centroid(byte[] frame)
    {
        int size = (int)Math.Sqrt(frame.Length / 3);
        var red = Enumerable.Range(0, frame.Length / 3).Where(i => frame[i * 3] > 128).ToList();
        return (red.Average(i => i % size), red.Average(i => i / size));
    }

    /// <summary>Sum of signed angle steps of the centroid around the path's centre (positive: clockwise on screen, y down).</summary>
    private static double Turn(List<byte[]> frames)
    {
        var points = frames.Select(Centroid).ToList();
        double cx = points.Average(p => p.X), cy = points.Average(p => p.Y), total = 0;
        for (int i = 1; i < points.Count; i++)
        {
            double a0 = Math.Atan2(points[i - 1].Y - cy, points[i - 1].X - cx), a1 = Math.Atan2(points[i].Y - cy, points[i].X - cx);
            double d = a1 - a0;
            while (d > Math.PI) d -= 2 * Math.PI;
            while (d < -Math.PI) d += 2 * Math.PI;
            total += d;
        }
        return total;
    }
}
