using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>Every bad input of issue 3: a clear error naming row, path and reason, or Skip/Fill by option; no hangs, leaks or escapes.</summary>
[TestClass, DoNotParallelize]
public sealed class VideoFrameLoadingBadInputTests
{
    private static string _folder = null!;
    private static string _good = null!;
    private static string _short = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("badinput");
        _good = TestVideos.WriteRamp(_folder, "good", 16, 10);
        _short = TestVideos.WriteRamp(_folder, "short", 3, 40);
        File.WriteAllText(Path.Combine(_folder, "text.mp4"), "this is not a video, just some text bytes\n");
        Directory.CreateDirectory(Path.Combine(_folder, "emptydir"));
        var bytes = File.ReadAllBytes(_good);
        File.WriteAllBytes(Path.Combine(_folder, "truncated.mp4"), bytes[..(bytes.Length * 4 / 10)]);
        SyntheticActionVideos.Encode(Path.Combine(_folder, "zero.mp4"), [], 32, 32, 25);
        RunFfmpeg("-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", "-y", Path.Combine(_folder, "audio-only.mp4"));
        RunFfmpeg("-f", "lavfi", "-i", "testsrc=size=32x32", "-frames:v", "0", "-c:v", "mjpeg", "-y", Path.Combine(_folder, "zero-frames.avi"));
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static void RunFfmpeg(params string[] args)
    {
        var info = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-v", "error" }.Concat(args)) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode);
    }

    private static VideoFrameLoadingEstimator.Options Small(DecodeErrorPolicy policy = DecodeErrorPolicy.Throw) => new()
    {
        InputColumnName = "VideoPath", FramesPerClip = 4, FrameInterval = 1, FrameSize = 32, Resize = ResizeMode.Stretch,
        VideoFolder = _folder, OnDecodeError = policy,
    };

    private static (List<float[]> Clips, VideoFrameLoadingTransformer Transformer, IDataView Output) Run(VideoFrameLoadingEstimator.Options options, MLContext? mlContext = null, params string[] paths)
    {
        mlContext ??= new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, paths);
        var transformer = mlContext.Transforms.LoadVideoFrames(options).Fit(data);
        var output = transformer.Transform(data);
        return (TestVideos.ReadClips(output), transformer, output);
    }

    private static VideoDecodingException Fails(string path, VideoDecodingFailure failure, VideoFrameLoadingEstimator.Options? options = null)
    {
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => Run(options ?? Small(), null, "good.mp4", path));
        Assert.AreEqual(failure, ex.Failure, ex.Message);
        Assert.AreEqual(1L, ex.RowIndex);
        StringAssert.StartsWith(ex.Message, "Row 1: could not load video '");
        StringAssert.Contains(ex.Message, Path.GetFileName(path.TrimEnd('/')));
        return ex;
    }

    [TestMethod]
    public void MissingFile_NamesRowPathAndReason()
        => StringAssert.Contains(Fails("missing.mp4", VideoDecodingFailure.NotFound).Message, "the file does not exist");

    [TestMethod]
    public void DirectoryInsteadOfFile_SaysItHasNoFrames()
        => StringAssert.Contains(Fails("emptydir", VideoDecodingFailure.NoFrames).Message, "has no frame images");

    [TestMethod]
    public void NonVideoBytes_CarryTheDecodersReason()
        => StringAssert.Contains(Fails("text.mp4", VideoDecodingFailure.InvalidData).Message, "Invalid data found when processing input");

    [TestMethod]
    public void TruncatedFile_FailsWithTheDecodersReason()
    {
        var ex = Fails("truncated.mp4", VideoDecodingFailure.InvalidData);
        StringAssert.Contains(ex.Message, "decoder says:");
    }

    [TestMethod]
    public void ZeroFrameFile_HasNoVideoStream()
        => StringAssert.Contains(Fails("zero.mp4", VideoDecodingFailure.Unsupported).Message, "no video stream");

    [TestMethod]
    public void VideoStreamWithZeroFrames_SaysSo()
        => StringAssert.Contains(Fails("zero-frames.avi", VideoDecodingFailure.NoFrames).Message, "the video stream has no frames");

    [TestMethod]
    public void AudioOnlyFile_IsUnsupported()
        => StringAssert.Contains(Fails("audio-only.mp4", VideoDecodingFailure.Unsupported).Message, "no video stream");

    [TestMethod]
    public void HugeResolution_RefusedBeforeDecoding()
    {
        var options = Small();
        options.MaxResolution = 16;
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => Run(options, null, "good.mp4"));
        Assert.AreEqual(VideoDecodingFailure.TooLarge, ex.Failure);
        StringAssert.Contains(ex.Message, "32×32, larger than MaxResolution = 16");
    }

    [TestMethod]
    public void ShorterThanTheClip_LoopsFrames()
    {
        var options = Small();
        options.FramesPerClip = 6;
        var clip = Run(options, null, "short.mp4").Clips[0];
        var levels = Enumerable.Range(0, 6).Select(t => (int)Math.Round(TestVideos.FrameMean(clip, t, 0, 32) * 255)).ToArray();
        int[] expected = [0, 40, 80, 0, 40, 80];
        for (int t = 0; t < 6; t++)
            Assert.AreEqual(expected[t], levels[t], 3, string.Join(",", levels));
    }

    [TestMethod]
    public void WrongColumnType_FailsAtFitWithMLNetWording()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new NumberRow { VideoPath = 1f } });
        var estimator = mlContext.Transforms.LoadVideoFrames(Small());
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(ex.Message, "Schema mismatch for input column 'VideoPath': expected String, got Single");
        var shapeEx = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(new SchemaShape([MLNetVideo.Interop.SchemaShapes.Column("VideoPath", NumberDataViewType.Single)])));
        StringAssert.Contains(shapeEx.Message, "Schema mismatch for input column 'VideoPath'");
        var missing = mlContext.Transforms.LoadVideoFrames("Frames", "Nope");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => missing.Fit(data)).Message, "Could not find input column 'Nope'");
    }

    [TestMethod]
    public void InvalidOptions_FailWhenTheEstimatorIsCreated()
    {
        var mlContext = new MLContext();
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadVideoFrames("Frames", "Path", framesPerClip: 0));
        StringAssert.Contains(ex.Message, "FramesPerClip must be positive; got 0");
        var crops = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options { SpatialCrops = 2 }));
        StringAssert.Contains(crops.Message, "SpatialCrops must be 1 or 3; got 2");
    }

    [TestMethod]
    [DataRow("../outside.mp4")]
    [DataRow("/etc/passwd")]
    public void PathsEscapingVideoFolder_AreRefusedUnlessAllowed(string path)
    {
        var ex = Fails(path, VideoDecodingFailure.OutsideVideoFolder);
        StringAssert.Contains(ex.Message, "AllowPathsOutsideVideoFolder");
    }

    [TestMethod]
    public void SymbolicLinkLeadingOutside_IsRefused()
    {
        string outside = TestVideos.NewFolder("outside");
        try
        {
            string target = Path.Combine(outside, "secret.mp4");
            File.Copy(_good, target);
            File.CreateSymbolicLink(Path.Combine(_folder, "link.mp4"), target);
            var ex = Fails("link.mp4", VideoDecodingFailure.OutsideVideoFolder);
            StringAssert.Contains(ex.Message, "is a symbolic link to");
            File.CreateSymbolicLink(Path.Combine(_folder, "inside-link.mp4"), _good);
            Assert.AreEqual(90 / 255.0, TestVideos.FrameMean(Run(Small(), null, "inside-link.mp4").Clips[0], 3, 0, 32), 0.015);
        }
        finally
        {
            TestVideos.DeleteFolder(outside);
        }
    }

    [TestMethod]
    public void SkipInPredictionEngine_FillsTheRowWithZeros()
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, "good.mp4");
        var transformer = mlContext.Transforms.LoadVideoFrames(Small(DecodeErrorPolicy.Skip)).Fit(data);
        var engine = mlContext.Model.CreatePredictionEngine<TestVideos.PathRow, ClipRow>(transformer);
        Assert.IsTrue(engine.Predict(new TestVideos.PathRow { VideoPath = "good.mp4" }).Frames.Max() > 0.3f);
        Assert.IsTrue(engine.Predict(new TestVideos.PathRow { VideoPath = "missing.mp4" }).Frames.All(v => v == 0f));
        Assert.AreEqual(1L, transformer.FilledRowCount);
    }

    private sealed class ClipRow
    {
        [VectorType(4, 3, 32, 32)]
        public float[] Frames { get; set; } = [];
    }

    [TestMethod]
    public void PathOutsideVideoFolder_LoadsWhenAllowed()
    {
        var options = Small();
        options.VideoFolder = Path.Combine(_folder, "emptydir");
        options.AllowPathsOutsideVideoFolder = true;
        var clip = Run(options, null, "../good.mp4").Clips[0];
        Assert.AreEqual(90 / 255.0, TestVideos.FrameMean(clip, 3, 0, 32), 0.015);   // centred clip of 4 in 16: frames 6..9, level 10 × frame
    }

    [TestMethod]
    public void OddFileNames_LeadingDashSpacesQuotesUnicode()
    {
        string name = "-i 'quoted' \"x\" ünïcødé;$(echo).mp4";
        File.Copy(_good, Path.Combine(_folder, name), overwrite: true);
        var clip = Run(Small(), null, name).Clips[0];
        Assert.AreEqual(80 / 255.0, TestVideos.FrameMean(clip, 2, 0, 32), 0.015);
    }

    [TestMethod]
    public void Skip_DropsBadRows_CountsAndLogsThem()
    {
        var mlContext = new MLContext(seed: 1);
        var warnings = new List<string>();
        mlContext.Log += (_, e) => { if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning) lock (warnings) warnings.Add(e.Message); };
        var (clips, transformer, output) = Run(Small(DecodeErrorPolicy.Skip), mlContext, "good.mp4", "missing.mp4", "text.mp4", "short.mp4");
        Assert.HasCount(2, clips);
        Assert.AreEqual(90 / 255.0, TestVideos.FrameMean(clips[0], 3, 0, 32), 0.015);   // good: frame 9, level 90
        Assert.AreEqual(80 / 255.0, TestVideos.FrameMean(clips[1], 2, 0, 32), 0.015);   // short: frame 2, level 80
        Assert.AreEqual(2L, transformer.SkippedRowCount);
        Assert.AreEqual(0L, transformer.FilledRowCount);
        Assert.IsNull(output.GetRowCount());
        Assert.IsTrue(warnings.Any(w => w.Contains("Skipped: Row 1: could not load video") && w.Contains("missing.mp4")), string.Join("\n", warnings));
        Assert.IsTrue(warnings.Any(w => w.Contains("Row 2") && w.Contains("text.mp4")), string.Join("\n", warnings));
    }

    [TestMethod]
    public void Fill_KeepsBadRowsAsZeros()
    {
        var (clips, transformer, _) = Run(Small(DecodeErrorPolicy.Fill), null, "good.mp4", "missing.mp4", "good.mp4");
        Assert.HasCount(3, clips);
        Assert.IsTrue(clips[1].All(v => v == 0f));
        Assert.IsTrue(clips[2].Max() > 0.1f);
        Assert.AreEqual(1L, transformer.FilledRowCount);
        Assert.AreEqual(0L, transformer.SkippedRowCount);
    }

    [TestMethod]
    public void Timeout_StopsTheDecoder_WithAClearError_AndNoLeftoverProcess()
    {
        var options = Small();
        options.DecodeTimeout = TimeSpan.FromMilliseconds(1);
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => Run(options, null, "good.mp4"));
        Assert.AreEqual(VideoDecodingFailure.Timeout, ex.Failure, ex.Message);
        StringAssert.Contains(ex.Message, "DecodeTimeout");
        Assert.AreEqual(0, TestVideos.ChildDecoders());
    }

    /// <summary>A stand-in "ffmpeg" that never answers: only the timeout or cancellation can end it.</summary>
    private static string HangingDecoder()
    {
        string script = Path.Combine(_folder, "hanging-ffmpeg.sh");
        File.WriteAllText(script, "#!/bin/sh\nexec sleep 47\n");
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return script;
    }

    private static int SleepingChildren() => Directory.EnumerateDirectories("/proc").Count(dir =>
    {
        try { return File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim() == "sleep 47"; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    });

    [TestMethod]
    public void HangingDecoder_TimesOut_AndIsKilled()
    {
        var options = Small();
        options.FfmpegOverride = HangingDecoder();
        options.DecodeTimeout = TimeSpan.FromSeconds(1.5);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => Run(options, null, "good.mp4"));
        Assert.AreEqual(VideoDecodingFailure.Timeout, ex.Failure, ex.Message);
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed}");
        Assert.AreEqual(0, SleepingChildren(), "the hanging decoder must be killed");
    }

    [TestMethod]
    public void CancelExecution_StopsAHangingDecoder()
    {
        var options = Small();
        options.FfmpegOverride = HangingDecoder();
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, "good.mp4");
        var view = mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data);
        // ML.NET 5.0.1 keeps MLContext's cancellation internal (ICancelable, used by AutoML): reach it as AutoML does.
        var environment = MLNetVideo.Interop.MLNetHost.From(mlContext.Transforms);
        var cancelable = environment.GetType().GetInterfaces().Single(i => i.Name == "ICancelable");
        var cancel = cancelable.GetMethod("CancelExecution")!;
        using var timer = new Timer(_ => cancel.Invoke(environment, null), null, 1000, Timeout.Infinite);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.ThrowsExactly<OperationCanceledException>(() => TestVideos.ReadClips(view));
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(20), $"took {watch.Elapsed} (DecodeTimeout is 60 s)");
        Assert.AreEqual(0, SleepingChildren(), "the hanging decoder must be killed");
    }

    [TestMethod]
    public void NoDecoderProcessesOrTempFilesAreLeft()
    {
        string temp = Path.Combine(_folder, "tmp");
        Directory.CreateDirectory(temp);
        string? saved = Environment.GetEnvironmentVariable("TMPDIR");
        Environment.SetEnvironmentVariable("TMPDIR", temp);
        try
        {
            var frames = Path.Combine(_folder, "frames");
            SyntheticActionVideos.Encode(frames, TestVideos.Ramp(6, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
            for (int i = 0; i < 3; i++)
            {
                var (clips, _, _) = Run(Small(DecodeErrorPolicy.Fill), null, "good.mp4", "frames", "missing.mp4", "text.mp4", "truncated.mp4");
                Assert.AreEqual(120 / 255.0, TestVideos.FrameMean(clips[1], 3, 0, 32), 0.01);   // frame folder: centred clip of 4 in 6 = frames 1..4, level 30 × 4
            }
            // A cursor abandoned in the middle of the data must not leave a decoder behind.
            var mlContext = new MLContext();
            var data = TestVideos.Paths(mlContext, "good.mp4", "good.mp4");
            var view = mlContext.Transforms.LoadVideoFrames(Small()).Fit(data).Transform(data);
            using (var cursor = view.GetRowCursor(view.Schema))
            {
                var getter = cursor.GetGetter<VBuffer<float>>(view.Schema["Frames"]);
                cursor.MoveNext();
                var value = default(VBuffer<float>);
                getter(ref value);
            }
            Assert.AreEqual(0, TestVideos.ChildDecoders(), "no ffmpeg/ffprobe child may outlive a decode");
            Assert.AreEqual(0, FfmpegProcess.Running);
            Assert.IsEmpty(Directory.GetFileSystemEntries(temp), "decoding must not write temporary files");
        }
        finally
        {
            Environment.SetEnvironmentVariable("TMPDIR", saved);
        }
    }

    private sealed class NumberRow
    {
        public float VideoPath { get; set; }
    }
}
