using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>
/// Issue 22, item 3: a <c>LoadVideoFrames</c> cursor decodes the next rows on a background worker (ReadAheadRows). The
/// rows come out in order and identical to in-place decoding, a failure stays with its own row and file, an early
/// dispose or a cancellation leaves no decoder or worker running.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ReadAheadTests
{
    private static string _folder = null!;
    private static string[] _videos = null!;

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _folder = TestVideos.NewFolder("readahead");
        // Video i is a ramp with step 10 × (i + 1): its frames' levels tell the videos apart.
        _videos = Enumerable.Range(0, 6).Select(i => TestVideos.WriteRamp(_folder, $"v{i}", 8, 10 * (i + 1))).ToArray();
        File.WriteAllText(Path.Combine(_folder, "text.mp4"), "not a video\n");
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static VideoFrameLoadingEstimator.Options Options(int readAhead, DecodeErrorPolicy policy = DecodeErrorPolicy.Throw) => new()
    {
        InputColumnName = "VideoPath",
        OutputColumnName = "Frames",
        VideoFolder = _folder,
        FramesPerClip = 4,
        FrameSize = 32,
        Resize = ResizeMode.Stretch,
        ReadAheadRows = readAhead,
        OnDecodeError = policy,
    };

    private static (IDataView View, VideoFrameLoadingTransformer Model) Load(MLContext mlContext, VideoFrameLoadingEstimator.Options options, params string[] names)
    {
        var data = TestVideos.Paths(mlContext, names);
        var model = mlContext.Transforms.LoadVideoFrames(options).Fit(data);
        return (model.Transform(data), model);
    }

    private static string[] Names(params int[] indices) => indices.Select(i => Path.GetFileName(_videos[i])).ToArray();

    [TestMethod]
    public void RowsComeInOrder_IdenticalToInPlaceDecoding_AndAreServedAhead()
    {
        var names = Names(3, 0, 5, 1, 1, 4, 2);
        var mlContext = new MLContext(seed: 1);
        var (ahead, model) = Load(mlContext, Options(2), names);
        var (inPlace, _) = Load(mlContext, Options(0), names);
        var clipsAhead = TestVideos.ReadClips(ahead);
        var clipsInPlace = TestVideos.ReadClips(inPlace);
        Assert.HasCount(names.Length, clipsAhead);
        for (int row = 0; row < names.Length; row++)
        {
            CollectionAssert.AreEqual(clipsInPlace[row], clipsAhead[row], $"row {row}");
            int video = int.Parse(names[row][1..2], System.Globalization.CultureInfo.InvariantCulture);
            // Centred 4 of 8 frames = frames 3..6; frame t = 1 of the clip is source frame 4, level 4 × step.
            Assert.AreEqual(Math.Min(255, 4 * 10 * (video + 1)) / 255.0, TestVideos.FrameMean(clipsAhead[row], 1, 0, 32), 0.02, $"row {row}");
        }
        Assert.IsGreaterThanOrEqualTo(names.Length - 1, model.ReadAheadServed, "rows after the first come from the worker");
        Assert.AreEqual(0, ClipReadAhead.RunningWorkers);
    }

    [TestMethod]
    public void RowsTheCallerSkips_AreDropped_AndTheRestStillMatch()
    {
        var names = Names(0, 1, 2, 3, 4, 5);
        var mlContext = new MLContext(seed: 1);
        var (view, _) = Load(mlContext, Options(2), names);
        var column = view.Schema["Frames"];
        using var cursor = view.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        var levels = new List<double>();
        while (cursor.MoveNext())
        {
            if (cursor.Position is 1 or 2 or 3)
                continue;   // never read: the worker's rows are dropped
            getter(ref value);
            levels.Add(TestVideos.FrameMean(value.DenseValues().ToArray(), 1, 0, 32) * 255 / 40);   // = video index + 1
        }
        CollectionAssert.AreEqual(new double[] { 1, 5, 6 }, levels.Select(l => Math.Round(l)).ToArray());
    }

    [TestMethod]
    public void AFailureIsAttributedToItsOwnRowAndFile()
    {
        var names = new[] { Names(0)[0], "text.mp4", Names(1)[0], Names(2)[0] };
        var mlContext = new MLContext(seed: 1);
        var (view, _) = Load(mlContext, Options(2), names);
        var column = view.Schema["Frames"];
        using (var cursor = view.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var value = default(VBuffer<float>);
            Assert.IsTrue(cursor.MoveNext());
            getter(ref value);   // row 0 is fine while row 1 already failed on the worker
            Assert.IsTrue(cursor.MoveNext());
            var error = Assert.ThrowsExactly<VideoDecodingException>(() => getter(ref value));
            Assert.AreEqual(1L, error.RowIndex);
            Assert.AreEqual(Path.Combine(_folder, "text.mp4"), error.VideoPath);
            StringAssert.Contains(error.Message, "text.mp4");
        }

        var (filled, model) = Load(mlContext, Options(2, DecodeErrorPolicy.Fill), names);
        var clips = TestVideos.ReadClips(filled);
        Assert.IsTrue(clips[1].All(v => v == 0), "the failed row is zeros");
        Assert.AreEqual(4 * 20 / 255.0, TestVideos.FrameMean(clips[2], 1, 0, 32), 0.02, "the next row is its own video");
        Assert.AreEqual(1, model.FilledRowCount);

        var (skipped, skipModel) = Load(mlContext, Options(2, DecodeErrorPolicy.Skip), names);
        Assert.HasCount(3, TestVideos.ReadClips(skipped));
        Assert.AreEqual(1, skipModel.SkippedRowCount);
    }

    /// <summary>Opens a cursor over the six videos with <paramref name="readAhead"/> rows ahead, reads row 0, runs
    /// <paramref name="then"/> with the cursor open, disposes it and asserts that no worker or decoder is left running.</summary>
    private static void AfterTheFirstRow(int readAhead, Action<MLContext, DataViewRowCursor, ValueGetter<VBuffer<float>>> then)
    {
        var mlContext = new MLContext(seed: 1);
        var (view, _) = Load(mlContext, Options(readAhead), Names(0, 1, 2, 3, 4, 5));
        var column = view.Schema["Frames"];
        using (var cursor = view.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var value = default(VBuffer<float>);
            cursor.MoveNext();
            getter(ref value);
            then(mlContext, cursor, getter);
        }
        Assert.AreEqual(0, ClipReadAhead.RunningWorkers);
        Assert.AreEqual(0, FfmpegProcess.Running);
        Assert.AreEqual(0, TestVideos.ChildDecoders(), "no ffmpeg/ffprobe child may outlive the cursor");
    }

    [TestMethod]
    public void AnEarlyDispose_LeavesNoDecoderOrWorkerRunning()
        => AfterTheFirstRow(4, (_, cursor, getter) =>
        {
            var value = default(VBuffer<float>);
            Assert.IsTrue(cursor.MoveNext());
            getter(ref value);   // asking for the second row lets the workers decode the next ones
            Assert.IsGreaterThanOrEqualTo(1, ClipReadAhead.RunningWorkers, "workers are decoding the next rows");
        });

    [TestMethod]
    public void WhileTheCallerWorksOnTheFirstRow_NoOtherDecoderStarts()
        => AfterTheFirstRow(4, (_, cursor, getter) =>
        {
            long started = FfmpegProcess.Started;
            Thread.Sleep(400);   // the caller's work on the first row (a network's first forward)
            Assert.AreEqual(started, FfmpegProcess.Started, "the next rows wait until the caller asks for the second row");
            Assert.AreEqual(0, FfmpegProcess.Running);
            var value = default(VBuffer<float>);
            Assert.IsTrue(cursor.MoveNext());
            getter(ref value);
            Assert.AreEqual(4 * 20 / 255.0, TestVideos.FrameMean(value.DenseValues().ToArray(), 1, 0, 32), 0.02, "the second row is its own video (level 4 × 20)");
            Assert.IsGreaterThan(started, FfmpegProcess.Started, "asking for the second row starts the decoders");
        });

    [TestMethod]
    public void CancellingTheContext_StopsTheCursorAndTheWorker()
        => AfterTheFirstRow(2, (mlContext, cursor, getter) =>
        {
            MLNetVideo.Interop.MLNetHost.CancelExecution(MLNetVideo.Interop.MLNetHost.From(mlContext.Transforms));
            cursor.MoveNext();
            var value = default(VBuffer<float>);
            Assert.ThrowsExactly<OperationCanceledException>(() => getter(ref value));
        });

    [TestMethod]
    public void ReadAheadRows_IsValidated()
    {
        var mlContext = new MLContext();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadVideoFrames(Options(-1)));
        Assert.AreEqual("ReadAheadRows", error.ParamName);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadVideoFrames(Options(VideoFrameLoadingEstimator.Options.MaxReadAheadRows + 1)));
    }
}
