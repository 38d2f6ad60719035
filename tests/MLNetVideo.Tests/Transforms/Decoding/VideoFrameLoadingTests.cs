using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>Decoding semantics of LoadVideoFrames on generated videos whose pixels are known.</summary>
[TestClass, DoNotParallelize]
public sealed class VideoFrameLoadingTests
{
    private static string _folder = null!;
    private static string _ramp = null!;           // 64 frames, grey level 4 × index, 32×32, 25 fps
    private static string _solid = null!;          // (200, 40, 90)
    private static string _halves = null!;         // left half red, right half blue
    private static string _motion = null!;         // synthetic left/right/up/down, red square on black

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("decoding");
        _ramp = TestVideos.WriteRamp(_folder, "ramp", 64, 4);
        _solid = Path.Combine(_folder, "solid.mp4");
        SyntheticActionVideos.Encode(_solid, TestVideos.Solid(8, 32, 32, 200, 40, 90), 32, 32, 25);
        _halves = Path.Combine(_folder, "halves.mp4");
        var halves = TestVideos.Solid(4, 32, 32, 0, 0, 255);
        foreach (var frame in halves)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 16; x++)
                {
                    int o = (y * 32 + x) * 3;
                    frame[o] = 255; frame[o + 1] = 0; frame[o + 2] = 0;
                }
        SyntheticActionVideos.Encode(_halves, halves, 32, 32, 25);
        _motion = Path.Combine(_folder, "motion");
        SyntheticActionVideos.Generate(_motion, new SyntheticActionOptions
        {
            VideosPerClass = 1, Frames = 16, Size = 64, Noise = 0, RandomColours = false, Seed = 3,
            Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
        });
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static List<float[]> Load(VideoFrameLoadingEstimator.Options options, params string[] paths)
    {
        var mlContext = new MLContext(seed: 1);
        options.InputColumnName ??= "VideoPath";
        var data = TestVideos.Paths(mlContext, paths);
        return TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data), options.OutputColumnName);
    }

    private static VideoFrameLoadingEstimator.Options Small(int frames = 4, int interval = 1) => new()
    {
        FramesPerClip = frames, FrameInterval = interval, FrameSize = 32, Resize = ResizeMode.Stretch,
    };

    private static int[] Levels(float[] clip, int frames, int size = 32)
        => Enumerable.Range(0, frames).Select(t => (int)Math.Round(TestVideos.FrameMean(clip, t, 0, size) * 255)).ToArray();

    private static void AssertLevels(int[] expected, int[] actual, int tolerance)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
            Assert.IsTrue(Math.Abs(expected[i] - actual[i]) <= tolerance, $"frame {i}: expected {expected[i]}±{tolerance}, got {actual[i]} (all: {string.Join(",", actual)})");
    }

    [TestMethod]
    public void EstimatorContract_OutputSchemaMatchesTheData()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, _solid);
        var estimator = mlContext.Transforms.LoadVideoFrames("Clip", "VideoPath", framesPerClip: 3, frameInterval: 2, frameSize: 16, layout: ClipLayout.Cthw);
        var shape = estimator.GetOutputSchema(new SchemaShape([MLNetVideo.Interop.SchemaShapes.Column("VideoPath", TextDataViewType.Instance)]));
        var predicted = shape.Single(c => c.Name == "Clip");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, predicted.Kind);
        Assert.AreEqual(NumberDataViewType.Single, predicted.ItemType);
        var output = estimator.Fit(data).Transform(data);
        var type = (VectorDataViewType)output.Schema["Clip"].Type;
        CollectionAssert.AreEqual(new[] { 3, 3, 16, 16 }, type.Dimensions.ToArray());
        Assert.AreEqual("VideoPath", output.Schema[0].Name);
        var clip = TestVideos.ReadClips(output, "Clip")[0];
        Assert.AreEqual(200 / 255.0, clip.AsSpan(0, 3 * 256).ToArray().Average(), 0.03, "Cthw: the first plane block is red over all frames");
    }

    [TestMethod]
    public void SolidColour_DecodesToThatColour()
    {
        var clip = Load(Small(), _solid)[0];
        Assert.HasCount(4 * 3 * 32 * 32, clip);
        Assert.AreEqual(200 / 255.0, TestVideos.FrameMean(clip, 2, 0, 32), 0.03);
        Assert.AreEqual(40 / 255.0, TestVideos.FrameMean(clip, 2, 1, 32), 0.03);
        Assert.AreEqual(90 / 255.0, TestVideos.FrameMean(clip, 2, 2, 32), 0.03);
    }

    [TestMethod]
    public void ImageNetNormalization_AndBgrOrder()
    {
        var options = Small();
        options.Normalization = PixelNormalization.ImageNet;
        options.Channels = ChannelOrder.Bgr;
        var clip = Load(options, _solid)[0];
        Assert.AreEqual((90 / 255.0 - 0.406) / 0.225, TestVideos.FrameMean(clip, 0, 0, 32), 0.15);   // blue first
        Assert.AreEqual((200 / 255.0 - 0.485) / 0.229, TestVideos.FrameMean(clip, 0, 2, 32), 0.15);  // red last
    }

    [TestMethod]
    [DataRow(ClipStart.Start, new[] { 0, 3, 6, 9 })]
    [DataRow(ClipStart.Centre, new[] { 27, 30, 33, 36 })]   // span 10, 54 free frames -> start 27
    public void DenseClip_PicksExactFrames(ClipStart start, int[] frames)
    {
        var options = Small(4, 3);
        options.ClipStart = start;
        AssertLevels(frames.Select(f => f * 4).ToArray(), Levels(Load(options, _ramp)[0], 4), 3);
    }

    [TestMethod]
    public void SeekRoute_GivesTheSameFramesAsTheSelectRoute()
    {
        var options = Small(4);
        options.Sampling = SamplingMode.Uniform;   // segment centres 8, 24, 40, 56
        var viaSelect = Levels(Load(options, _ramp)[0], 4);
        int saved = FfmpegDecoder.SeekGapFrames;
        FfmpegDecoder.SeekGapFrames = 4;
        try
        {
            var viaSeek = Levels(Load(options, _ramp)[0], 4);
            AssertLevels([32, 96, 160, 224], viaSeek, 3);
            CollectionAssert.AreEqual(viaSelect, viaSeek);
        }
        finally
        {
            FfmpegDecoder.SeekGapFrames = saved;
        }
    }

    [TestMethod]
    public void TargetFps_ResamplesBeforeSampling()
    {
        var options = Small(4);
        options.ClipStart = ClipStart.Start;
        options.TargetFps = 12.5;   // source 25 fps: target frames 0..3 are source frames 0, 2, 4, 6
        AssertLevels([0, 8, 16, 24], Levels(Load(options, _ramp)[0], 4), 3);
    }

    [TestMethod]
    public void AllFrames_UpToMaximum()
    {
        var options = Small(16);
        options.Sampling = SamplingMode.All;   // 64 frames -> every 4th
        AssertLevels(Enumerable.Range(0, 16).Select(i => i * 16).ToArray(), Levels(Load(options, _ramp)[0], 16), 3);
    }

    [TestMethod]
    [DataRow(SyntheticVideoFormat.Mp4H264, 4)]
    [DataRow(SyntheticVideoFormat.WebmVp9, 8)]
    [DataRow(SyntheticVideoFormat.AviMjpeg, 8)]
    [DataRow(SyntheticVideoFormat.MkvH264, 4)]
    [DataRow(SyntheticVideoFormat.JpgFrames, 8)]
    [DataRow(SyntheticVideoFormat.PngFrames, 0)]
    public void Formats_DecodeTheRightFrames(SyntheticVideoFormat format, int tolerance)
    {
        // 12 frames so a frame folder has 10.png and 11.png: numeric, not lexicographic, order is required.
        string path = TestVideos.WriteRamp(_folder, "fmt-" + format, 12, 20, format);
        var options = Small(12);
        options.ClipStart = ClipStart.Start;
        AssertLevels(Enumerable.Range(0, 12).Select(i => i * 20).ToArray(), Levels(Load(options, path)[0], 12), tolerance);
    }

    [TestMethod]
    [DataRow("left", 0, -1)]
    [DataRow("right", 0, 1)]
    [DataRow("up", 1, -1)]
    [DataRow("down", 1, 1)]
    public void MovingSquare_CentroidFollowsTheMotion(string label, int axis, int sign)
    {
        var options = new VideoFrameLoadingEstimator.Options { FramesPerClip = 8, FrameInterval = 2, FrameSize = 64, Resize = ResizeMode.Stretch, ClipStart = ClipStart.Start };
        var clip = Load(options, Path.Combine(_motion, label, "000.mp4"))[0];
        var centroids = Enumerable.Range(0, 8).Select(t => RedCentroid(clip, t, 64)[axis]).ToArray();
        for (int t = 1; t < 8; t++)
            Assert.IsTrue(sign * (centroids[t] - centroids[t - 1]) > 0.5, $"{label}: centroids {string.Join(", ", centroids.Select(c => c.ToString("0.0")))}");
    }

    [TestMethod]
    public void CthwLayout_IsAPermutationOfTchw()
    {
        string path = Path.Combine(_motion, "right", "000.mp4");
        var tchw = Load(Small(4, 2), path)[0];
        var cthwOptions = Small(4, 2);
        cthwOptions.Layout = ClipLayout.Cthw;
        var cthw = Load(cthwOptions, path)[0];
        int plane = 32 * 32;
        for (int t = 0; t < 4; t++)
            for (int c = 0; c < 3; c++)
                CollectionAssert.AreEqual(tchw.AsSpan((t * 3 + c) * plane, plane).ToArray(), cthw.AsSpan((c * 4 + t) * plane, plane).ToArray(), $"t={t} c={c}");
        CollectionAssert.AreNotEqual(tchw, cthw);
    }

    [TestMethod]
    public void MultiView_ClipsTimesCrops_InOneRow()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, _ramp);
        var estimator = mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath", FramesPerClip = 2, FrameInterval = 1, FrameSize = 32, ShortSideSize = 48, ClipsPerVideo = 2, SpatialCrops = 3,
        });
        var output = estimator.Fit(data).Transform(data);
        var type = (VectorDataViewType)output.Schema["Frames"].Type;
        CollectionAssert.AreEqual(new[] { 6, 2, 3, 32, 32 }, type.Dimensions.ToArray());
        var layout = default(ReadOnlyMemory<char>);
        output.Schema["Frames"].Annotations.GetValue(VideoFrameLoadingTransformer.LayoutAnnotationName, ref layout);
        Assert.AreEqual("views,frames,channels,height,width; 6 views = 2 clips × 3 crops, view = clip × 3 + crop", layout.ToString());
        var clip = TestVideos.ReadClips(output)[0];
        int view = 2 * 3 * 32 * 32;
        // Clips of 2 frames over 64: 63 starts, clip k starts at floor((k + ½) × 63 / 2) = 15 and 47.
        for (int v = 0; v < 6; v++)
            Assert.AreEqual((v < 3 ? 15 : 47) * 4, TestVideos.FrameMean(clip, 0, 0, 32, v * view) * 255, 3, $"view {v}");
    }

    [TestMethod]
    public void Training_IsSeededPerRow_AndRepeats()
    {
        VideoFrameLoadingEstimator.Options Options(int seed) => new()
        {
            FramesPerClip = 4, FrameSize = 32, Resize = ResizeMode.Stretch, Sampling = SamplingMode.Uniform, Mode = VideoLoadingMode.Training, Seed = seed,
        };
        string[] rows = [_ramp, _ramp, _ramp, _ramp];
        var first = Load(Options(7), rows).Select(c => Levels(c, 4)).ToList();
        var again = Load(Options(7), rows).Select(c => Levels(c, 4)).ToList();
        var other = Load(Options(8), rows).Select(c => Levels(c, 4)).ToList();
        for (int r = 0; r < rows.Length; r++)
        {
            CollectionAssert.AreEqual(first[r], again[r], $"row {r} must repeat for the same seed");
            for (int t = 0; t < 4; t++)
                Assert.IsTrue(first[r][t] >= t * 64 - 3 && first[r][t] <= (t + 1) * 64 - 1, $"row {r}: frame {t} level {first[r][t]} outside segment {t}");
        }
        Assert.IsTrue(first.Skip(1).Any(l => !l.SequenceEqual(first[0])), "rows should get different offsets");
        Assert.IsTrue(Enumerable.Range(0, rows.Length).Any(r => !first[r].SequenceEqual(other[r])), "another seed should change offsets");
    }

    [TestMethod]
    public void HorizontalFlip_OnlyWhenTrainingAndEnabled()
    {
        VideoFrameLoadingEstimator.Options Options(bool flip, VideoLoadingMode mode) => new()
        {
            FramesPerClip = 1, FrameSize = 32, Resize = ResizeMode.Stretch, Mode = mode, HorizontalFlip = flip, Seed = 3,
        };
        var rows = Enumerable.Repeat(_halves, 12).ToArray();
        bool RedOnLeft(float[] clip) => clip[0 * 1024 + 16 * 32 + 2] > 0.8f && clip[16 * 32 + 29] < 0.2f;
        var flipped = Load(Options(true, VideoLoadingMode.Training), rows);
        int mirrored = flipped.Count(c => !RedOnLeft(c));
        Assert.IsTrue(mirrored is > 0 and < 12, $"about half the rows should be mirrored; got {mirrored} of 12");
        Assert.IsTrue(flipped.All(c => RedOnLeft(c) || (c[16 * 32 + 29] > 0.8f && c[16 * 32 + 2] < 0.2f)), "a mirrored row has red on the right");
        Assert.IsTrue(Load(Options(false, VideoLoadingMode.Training), rows).All(RedOnLeft), "flip is off by default");
        Assert.IsTrue(Load(Options(true, VideoLoadingMode.Inference), rows).All(RedOnLeft), "no flip at inference");
    }

    [TestMethod]
    [DataRow("example_left_435", new[] { 8, 9, 12, 13, 16 })]
    [DataRow("example_up_420", new[] { 12, 13, 14, 15, 16, 17 })]
    public void RealFrames_Move4Mnist_NumericOrderAndGreyToRgb(string video, int[] blankFrames)
    {
        // The Move4MNIST examples blank out some frames (all black); where the blanks land proves the
        // frames were read in numeric order (lexicographic order would put 10.jpg … 19.jpg at positions 2 … 11).
        string? folder = SharedData.Find("move4mnist-examples/" + video);
        if (folder is null)
        {
            Assert.Inconclusive("../shared/data/move4mnist-examples is not present; this test needs the real Move4MNIST frames.");
            return;
        }
        var options = new VideoFrameLoadingEstimator.Options { FramesPerClip = 32, FrameInterval = 1, FrameSize = 64, Resize = ResizeMode.Stretch, ClipStart = ClipStart.Start };
        var clip = Load(options, folder)[0];
        Assert.HasCount(32 * 3 * 64 * 64, clip);
        int plane = 64 * 64;
        for (int t = 0; t < 32; t += 5)
        {
            // Greyscale JPEGs become RGB with three equal channels.
            CollectionAssert.AreEqual(clip.AsSpan(t * 3 * plane, plane).ToArray(), clip.AsSpan((t * 3 + 1) * plane, plane).ToArray(), $"frame {t}");
            CollectionAssert.AreEqual(clip.AsSpan(t * 3 * plane, plane).ToArray(), clip.AsSpan((t * 3 + 2) * plane, plane).ToArray(), $"frame {t}");
        }
        var blanks = Enumerable.Range(0, 32).Where(t => clip.AsSpan(t * 3 * plane, plane).ToArray().Max() < 0.08f).ToArray();
        CollectionAssert.AreEqual(blankFrames, blanks);
    }

    /// <summary>Intensity-weighted centroid (x, y) of the red channel of frame t (pixels above 0.5).</summary>
    private static double[] RedCentroid(float[] clip, int t, int size)
    {
        int plane = size * size;
        double sx = 0, sy = 0, sw = 0;
        for (int i = 0; i < plane; i++)
        {
            float v = clip[t * 3 * plane + i];
            if (v < 0.5f) continue;
            sx += v * (i % size); sy += v * (i / size); sw += v;
        }
        Assert.IsTrue(sw > 0, $"frame {t} has no bright pixels");
        return [sx / sw, sy / sw];
    }
}
