using Microsoft.ML;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 10, item 5: the frame-count, file-size and resolution limits of <c>LoadVideoFrames</c> and
/// <see cref="VideoFrameReader"/> fail with a clear <see cref="VideoDecodingFailure.TooLarge"/> error naming the limit
/// before anything large is allocated. (MaxResolution on <c>LoadVideoFrames</c> is covered by
/// <c>VideoFrameLoadingBadInputTests.HugeResolution_RefusedBeforeDecoding</c>.)
/// </summary>
[TestClass, DoNotParallelize]
public sealed class DecodingLimitsTests
{
    private static string _folder = null!;
    private static string _video = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("limits");
        _video = TestVideos.WriteRamp(_folder, "sixteen", 16, 10);
        SyntheticActionVideos.Encode(Path.Combine(_folder, "frames"), TestVideos.Ramp(6, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static VideoFrameLoadingEstimator.Options Small() => new()
    {
        InputColumnName = "VideoPath", FramesPerClip = 4, FrameInterval = 1, FrameSize = 16, Resize = ResizeMode.Stretch, VideoFolder = _folder,
    };

    private static List<float[]> Load(VideoFrameLoadingEstimator.Options options, string path)
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, path);
        return TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data));
    }

    private static string TooLarge(VideoFrameLoadingEstimator.Options options, string path)
    {
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => Load(options, path));
        Assert.AreEqual(VideoDecodingFailure.TooLarge, ex.Failure, ex.Message);
        StringAssert.Contains(ex.Message, path);
        return ex.Message;
    }

    [TestMethod]
    public void MaxFrames_RefusesALongerVideo_AndAcceptsOneAtTheLimit()
    {
        var options = Small();
        options.MaxFrames = 15;
        StringAssert.Contains(TooLarge(options, "sixteen.mp4"), "the video has 16 frames, more than MaxFrames = 15");
        options.MaxFrames = 16;
        Assert.HasCount(1, Load(options, "sixteen.mp4"));
    }

    [TestMethod]
    public void MaxFrames_RefusesAFrameFolderWithMoreImages()
    {
        var options = Small();
        options.MaxFrames = 5;
        StringAssert.Contains(TooLarge(options, "frames"), "more than MaxFrames = 5");
    }

    [TestMethod]
    public void MaxFileBytes_RefusesABiggerFile_BeforeTheDecoderStarts()
    {
        long size = new FileInfo(_video).Length;
        var options = Small();
        options.MaxFileBytes = size - 1;
        StringAssert.Contains(TooLarge(options, "sixteen.mp4"), $"the file holds {size} bytes, more than MaxFileBytes = {size - 1}");
        Assert.AreEqual(0, TestVideos.ChildDecoders());
        options.MaxFileBytes = size;
        Assert.HasCount(1, Load(options, "sixteen.mp4"));
    }

    [TestMethod]
    public void MaxFileBytes_CountsAllImagesOfAFrameFolder()
    {
        long total = Directory.GetFiles(Path.Combine(_folder, "frames")).Sum(f => new FileInfo(f).Length);
        var options = Small();
        options.MaxFileBytes = total - 1;
        StringAssert.Contains(TooLarge(options, "frames"), $"the frame images hold {total} bytes");
    }

    [TestMethod]
    public void InvalidLimits_AndClipsTooBigForMemory_FailWhenTheEstimatorIsCreated()
    {
        var mlContext = new MLContext();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options { MaxFrames = 0 })).Message, "MaxFrames must be positive");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options { MaxFileBytes = -1 })).Message, "MaxFileBytes must be positive");
        // A clip tensor that no array can hold is refused up front instead of failing with OutOfMemoryException per row.
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options { FramesPerClip = 1000, FrameSize = 4096 })).Message,
            "more than a .NET array can");
    }

    [TestMethod]
    public void Reader_EnforcesMaxFramesMaxFileBytesAndMaxResolution()
    {
        var frames = Assert.ThrowsExactly<VideoDecodingException>(() => VideoFrameReader.Open(_video, new VideoFrameReader.Options { MaxFrames = 8 }));
        Assert.AreEqual(VideoDecodingFailure.TooLarge, frames.Failure);
        StringAssert.Contains(frames.Message, "MaxFrames = 8");
        var bytes = Assert.ThrowsExactly<VideoDecodingException>(() => VideoFrameReader.Open(_video, new VideoFrameReader.Options { MaxFileBytes = 100 }));
        StringAssert.Contains(bytes.Message, "MaxFileBytes = 100");
        var resolution = Assert.ThrowsExactly<VideoDecodingException>(() => VideoFrameReader.Open(_video, new VideoFrameReader.Options { MaxResolution = 16 }));
        StringAssert.Contains(resolution.Message, "larger than MaxResolution = 16");
        var output = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => VideoFrameReader.Open(_video, new VideoFrameReader.Options { Width = 100_000, Height = 100_000 }));
        StringAssert.Contains(output.Message, "may not exceed MaxResolution");
        Assert.AreEqual(0, TestVideos.ChildDecoders());
    }

    [TestMethod]
    public void Reader_StopsAtMaxFrames_WhenTheContainerUnderstatesItsLength()
    {
        // A stand-in ffprobe that claims 3 frames for a 16-frame video: the limit still holds while streaming.
        string probe = Path.Combine(_folder, "lying-ffprobe.sh");
        File.WriteAllText(probe, "#!/bin/sh\necho '{\"streams\":[{\"codec_name\":\"h264\",\"width\":32,\"height\":32,\"nb_frames\":\"3\",\"avg_frame_rate\":\"25/1\"}]}'\n");
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            File.SetUnixFileMode(probe, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        else
            Assert.Inconclusive("needs a shell script as ffprobe");
        using var reader = VideoFrameReader.Open(_video, new VideoFrameReader.Options { MaxFrames = 5, FfprobeOverride = probe });
        Assert.AreEqual(3, reader.Info.FrameCount);
        for (int i = 0; i < 5; i++)
            Assert.IsTrue(reader.MoveNext());
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => reader.MoveNext());
        Assert.AreEqual(VideoDecodingFailure.TooLarge, ex.Failure);
        StringAssert.Contains(ex.Message, "more than MaxFrames = 5 frames (the file claims 3)");
        Assert.IsFalse(reader.MoveNext());
        reader.Dispose();
        Assert.AreEqual(0, TestVideos.ChildDecoders());
    }
}
