using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>
/// LoadVideoFrames with segment columns (StartSeconds/EndSeconds): every frame of the generated videos carries its own
/// index burned into the pixels (16 black/white 8×8 blocks, one bit each), so the clips tell exactly which source frames
/// were read.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class SegmentSamplingTests
{
    private const int Size = 32, Fps = 25, Count = 400;   // 16 s
    private static TempFolder s_folder = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        s_folder = new TempFolder("mlnv-segments");
        SyntheticActionVideos.Encode(s_folder.File("counter.mp4"), CounterFrames(Count), Size, Size, Fps, SyntheticVideoFormat.Mp4H264);
        SyntheticActionVideos.Encode(s_folder.File("frames/v1"), CounterFrames(40), Size, Size, Fps, SyntheticVideoFormat.PngFrames);
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder.Dispose();

    /// <summary>Frame i: block b (row b / 4, column b % 4, 8×8 pixels) is white when bit b of i is set.</summary>
    private static List<byte[]> CounterFrames(int count)
        => Enumerable.Range(0, count).Select(i =>
        {
            var frame = new byte[Size * Size * 3];
            for (int b = 0; b < 16; b++)
                if ((i >> b & 1) != 0)
                    for (int y = 0; y < 8; y++)
                        for (int x = 0; x < 8; x++)
                            frame.AsSpan((((b / 4 * 8) + y) * Size + (b % 4 * 8) + x) * 3, 3).Fill(255);
            return frame;
        }).ToList();

    /// <summary>The frame indices read back from a [T, 3, 32, 32] clip (block centres, red channel).</summary>
    private static int[] Counters(float[] clip)
    {
        int frames = clip.Length / (3 * Size * Size);
        var result = new int[frames];
        for (int t = 0; t < frames; t++)
            for (int b = 0; b < 16; b++)
            {
                double sum = 0;
                for (int y = 2; y < 6; y++)
                    for (int x = 2; x < 6; x++)
                        sum += clip[(t * 3 * Size * Size) + (((b / 4 * 8) + y) * Size) + (b % 4 * 8) + x];
                if (sum / 16 > 0.5)
                    result[t] |= 1 << b;
            }
        return result;
    }

    public sealed class SingleRow
    {
        public string VideoPath { get; set; } = "";
        public float Start { get; set; }
        public float End { get; set; }
    }

    public sealed class DoubleRow
    {
        public string VideoPath { get; set; } = "";
        public double Start { get; set; }
        public double End { get; set; }
    }

    private static VideoFrameLoadingEstimator.Options Options(SamplingMode sampling, int frames) => new()
    {
        InputColumnName = "VideoPath", VideoFolder = s_folder.Path, Sampling = sampling, FramesPerClip = frames, FrameSize = Size,
        Resize = ResizeMode.Stretch, StartSecondsColumnName = "Start", EndSecondsColumnName = "End",
    };

    private static List<float[]> Load(MLContext mlContext, IDataView data, VideoFrameLoadingEstimator.Options options)
        => TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data));

    [TestMethod]
    public void AllFramesOfASegment_AreExactlyThoseFrames_SingleAndDoubleColumns_OpenBounds()
    {
        var mlContext = new MLContext(1);
        var rows = new[]
        {
            new SingleRow { VideoPath = "counter.mp4", Start = 12.0f, End = 12.4f },       // frames 300–309: reached by seeking
            new SingleRow { VideoPath = "counter.mp4", Start = 0.2f, End = 0.6f },         // 5–14
            new SingleRow { VideoPath = "counter.mp4", Start = float.NaN, End = 0.4f },    // from the start: 0–9
            new SingleRow { VideoPath = "counter.mp4", Start = 15.6f, End = float.NaN },   // to the end: 390–399
        };
        var clips = Load(mlContext, mlContext.Data.LoadFromEnumerable(rows), Options(SamplingMode.All, 10));
        CollectionAssert.AreEqual(Enumerable.Range(300, 10).ToArray(), Counters(clips[0]));
        CollectionAssert.AreEqual(Enumerable.Range(5, 10).ToArray(), Counters(clips[1]));
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).ToArray(), Counters(clips[2]));
        CollectionAssert.AreEqual(Enumerable.Range(390, 10).ToArray(), Counters(clips[3]));

        var doubles = mlContext.Data.LoadFromEnumerable(new[] { new DoubleRow { VideoPath = "counter.mp4", Start = 301 / 25.0, End = 311 / 25.0 } });
        CollectionAssert.AreEqual(Enumerable.Range(301, 10).ToArray(), Counters(Load(mlContext, doubles, Options(SamplingMode.All, 10))[0]));
    }

    [TestMethod]
    public void UniformAndDenseSampling_StayInsideTheSegment()
    {
        var mlContext = new MLContext(1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new DoubleRow { VideoPath = "counter.mp4", Start = 4.0, End = 6.0 } });
        // TSN test-time sampling of 5 segments over frames 100–149: the middle frame of each 10-frame segment.
        CollectionAssert.AreEqual(new[] { 105, 115, 125, 135, 145 }, Counters(Load(mlContext, data, Options(SamplingMode.Uniform, 5))[0]));

        // Dense clips at random starts (training): every frame inside [100, 150), steps of FrameInterval.
        var rows = Enumerable.Range(0, 6).Select(_ => new DoubleRow { VideoPath = "counter.mp4", Start = 4.0, End = 6.0 }).ToArray();
        var options = Options(SamplingMode.Dense, 4);
        options.FrameInterval = 3;
        options.Mode = VideoLoadingMode.Training;
        var starts = new HashSet<int>();
        foreach (var clip in Load(mlContext, mlContext.Data.LoadFromEnumerable(rows), options))
        {
            var frames = Counters(clip);
            Assert.IsTrue(frames.All(f => f is >= 100 and < 150), string.Join(",", frames));
            CollectionAssert.AreEqual(new[] { 3, 3, 3 }, frames.Zip(frames.Skip(1), (a, b) => b - a).ToArray());
            starts.Add(frames[0]);
        }
        Assert.IsGreaterThan(1, starts.Count, "random starts differ between rows");
    }

    [TestMethod]
    public void SegmentFarIntoTheFile_IsReachedByAnInputSeek()
    {
        var info = new VideoInfo(s_folder.File("counter.mp4"), Size, Size, Count, Fps, "h264", null);
        var (args, _) = FfmpegDecoder.FileArguments(info, Enumerable.Range(300, 10).ToArray(), "scale=32:32");
        int seek = args.IndexOf("-ss");
        Assert.IsGreaterThanOrEqualTo(0, seek, string.Join(" ", args));
        Assert.AreEqual("11.99", args[seek + 1], "a quarter frame before frame 300");
        Assert.IsLessThan(args.IndexOf("-i"), seek, "an input seek (before -i) skips decoding the first 12 s");
        StringAssert.Contains(string.Join(" ", args), "trim=end_frame=10");
    }

    [TestMethod]
    public void EmptyOrInvalidSegments_FailUnderThePolicy()
    {
        var mlContext = new MLContext(1);
        var rows = mlContext.Data.LoadFromEnumerable(new[]
        {
            new DoubleRow { VideoPath = "counter.mp4", Start = 20, End = 21 },
            new DoubleRow { VideoPath = "counter.mp4", Start = 1, End = 1.2 },
            new DoubleRow { VideoPath = "counter.mp4", Start = -1, End = 1 },
            new DoubleRow { VideoPath = "counter.mp4", Start = 3, End = 2 },
        });
        var options = Options(SamplingMode.All, 5);
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => Load(mlContext, rows, options));
        Assert.AreEqual(VideoDecodingFailure.NoFrames, ex.Failure);
        StringAssert.Contains(ex.Message, "Row 0: could not load video");
        StringAssert.Contains(ex.Message, "the segment [20, 21) s holds no frame of the video (400 frames at 25 frames/s, 16 s)");

        options.OnDecodeError = DecodeErrorPolicy.Skip;
        var transformer = mlContext.Transforms.LoadVideoFrames(options).Fit(rows);
        var kept = TestVideos.ReadClips(transformer.Transform(rows));
        Assert.HasCount(1, kept);
        CollectionAssert.AreEqual(Enumerable.Range(25, 5).ToArray(), Counters(kept[0]));
        Assert.AreEqual(3L, transformer.SkippedRowCount);
    }

    [TestMethod]
    public void SegmentColumns_MissingOrNotNumeric_AreSchemaErrors()
    {
        var mlContext = new MLContext(1);
        var paths = TestVideos.Paths(mlContext, "counter.mp4");
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadVideoFrames(Options(SamplingMode.All, 2)).Fit(paths));
        StringAssert.Contains(missing.Message, "Could not find segment column 'Start'");
        var estimator = mlContext.Transforms.LoadVideoFrames(Options(SamplingMode.All, 2));
        var pathShape = MLNetVideo.Interop.SchemaShapes.Column("VideoPath", TextDataViewType.Instance);
        var shape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(new SchemaShape([pathShape])));
        StringAssert.Contains(shape.Message, "Could not find segment column 'Start'");
        var textShape = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(new SchemaShape([pathShape,
            MLNetVideo.Interop.SchemaShapes.Column("Start", TextDataViewType.Instance), MLNetVideo.Interop.SchemaShapes.Column("End", NumberDataViewType.Double)])));
        StringAssert.Contains(textShape.Message, "Schema mismatch for segment column 'Start': expected Single or Double");
        var good = estimator.GetOutputSchema(new SchemaShape([pathShape,
            MLNetVideo.Interop.SchemaShapes.Column("Start", NumberDataViewType.Single), MLNetVideo.Interop.SchemaShapes.Column("End", NumberDataViewType.Double)]));
        Assert.IsTrue(good.Any(c => c.Name == "Frames"));

        var options = Options(SamplingMode.All, 2);
        options.StartSecondsColumnName = "VideoPath";
        options.EndSecondsColumnName = null;
        var text = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadVideoFrames(options).Fit(paths));
        StringAssert.Contains(text.Message, "Schema mismatch for segment column 'VideoPath': expected Single or Double, got String");
        options.StartSecondsColumnName = "";
        Assert.ThrowsExactly<ArgumentException>(() => mlContext.Transforms.LoadVideoFrames(options));
    }

    [TestMethod]
    public void RawframesWithOffset_FromAnMMAction2List_ReadExactlyThoseFrames_AndSurviveSaveAndLoad()
    {
        var mlContext = new MLContext(1);
        File.WriteAllText(s_folder.File("offsets.txt"), "v1 12 10 0\nv1 0 5 1\n");
        var data = VideoDataset.FromMMAction2List(mlContext, s_folder.File("offsets.txt"), s_folder.File("frames"), MMAction2ListKind.RawframesWithOffset);
        var options = Options(SamplingMode.All, 10);
        options.VideoFolder = s_folder.File("frames");
        options.StartSecondsColumnName = "StartSeconds";
        options.EndSecondsColumnName = "EndSeconds";
        options.OutOfBounds = OutOfBoundsPolicy.RepeatLast;
        var model = mlContext.Transforms.LoadVideoFrames(options).Fit(data);
        var clips = TestVideos.ReadClips(model.Transform(data));
        CollectionAssert.AreEqual(Enumerable.Range(12, 10).ToArray(), Counters(clips[0]));
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3, 4, 4, 4, 4, 4, 4 }, Counters(clips[1]), "5 frames, the last repeated");

        string zip = s_folder.File("segments.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        // A loaded model reads from the folder its loader names (issue 15), and keeps the segment columns.
        var loaded = new MLContext(2).Model.Load(zip, new VideoModelLoadOptions { VideoFolder = s_folder.File("frames") }, out _);
        var again = TestVideos.ReadClips(loaded.Transform(data));
        CollectionAssert.AreEqual(clips[0], again[0]);
        CollectionAssert.AreEqual(clips[1], again[1]);
    }
}
