using Microsoft.ML;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 3: the decoder reads only what it was given. Inside an allowed VideoFolder, an HLS playlist named
/// <c>*.mp4</c> used to make ffmpeg open a <c>.ts</c> file outside the folder, and an ffconcat script opened the target of a
/// symbolic link outside it (the link itself was refused). The decoder now reads files only, with the container demuxers of
/// <see cref="VideoDecoding.ContainerFormats"/> (frame images: PNG/JPEG/BMP by content only), and paths are checked on
/// their real location and decoded there.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class DecoderInputAttackTests
{
    private static string _root = null!;
    private static string _inside = null!;
    private static string _outside = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _root = TestVideos.NewFolder("decoder-attacks");
        _inside = Path.Combine(_root, "videos");
        _outside = Path.Combine(_root, "secret");
        Directory.CreateDirectory(_inside);
        Directory.CreateDirectory(_outside);
        string secret = TestVideos.WriteRamp(_outside, "secret", 8, 30);
        RemuxToMpegTs(secret, Path.Combine(_outside, "segment.ts"));
        TestVideos.WriteRamp(_inside, "good", 8, 30);
        // An HLS playlist named like a video, whose segments lie outside the folder (absolute and relative).
        File.WriteAllText(Path.Combine(_inside, "playlist.mp4"),
            $"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n{Path.Combine(_outside, "segment.ts")}\n#EXT-X-ENDLIST\n");
        File.WriteAllText(Path.Combine(_inside, "relative-playlist.mp4"), "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:1,\n../secret/segment.ts\n#EXT-X-ENDLIST\n");
        // An ffconcat script named like a video, naming a link (inside) whose target is outside.
        File.CreateSymbolicLink(Path.Combine(_inside, "link.mp4"), secret);
        File.WriteAllText(Path.Combine(_inside, "concat.mp4"), "ffconcat version 1.0\nfile 'link.mp4'\n");
        // A frame folder whose second image is an ffconcat script, and another whose image is a playlist.
        foreach (var (name, content) in new[] { ("concat-frames", "ffconcat version 1.0\nfile 'link.png'\n"), ("playlist-frames", $"#EXTM3U\n#EXTINF:1,\n{Path.Combine(_outside, "segment.ts")}\n#EXT-X-ENDLIST\n") })
        {
            string frames = Path.Combine(_inside, name);
            SyntheticActionVideos.Encode(frames, TestVideos.Ramp(4, 32, 30), 32, 32, 25, SyntheticVideoFormat.PngFrames);
            File.WriteAllText(Path.Combine(frames, "1.png"), content);
            File.CreateSymbolicLink(Path.Combine(frames, "link.png"), secret);
        }
    }

    /// <summary>The same video as an MPEG-TS segment (what an HLS playlist lists).</summary>
    private static void RemuxToMpegTs(string source, string target)
    {
        var start = new System.Diagnostics.ProcessStartInfo(VideoDecoding.FfmpegPath) { RedirectStandardError = true };
        foreach (var argument in new[] { "-loglevel", "error", "-i", source, "-c", "copy", "-f", "mpegts", "-y", target })
            start.ArgumentList.Add(argument);
        using var process = System.Diagnostics.Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, error);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_root);

    private static VideoFrameLoadingEstimator.Options Small() => new()
    {
        InputColumnName = "VideoPath", Sampling = SamplingMode.All, FramesPerClip = 4, FrameSize = 16, Resize = ResizeMode.Stretch, VideoFolder = _inside,
    };

    private static VideoDecodingException Refused(string path)
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, path);
        var view = mlContext.Transforms.LoadVideoFrames(Small()).Fit(data).Transform(data);
        var e = Assert.ThrowsExactly<VideoDecodingException>(() => TestVideos.ReadClips(view), path);
        Assert.AreEqual(0, TestVideos.ChildDecoders());
        return e;
    }

    [TestMethod]
    [DataRow("playlist.mp4")]
    [DataRow("relative-playlist.mp4")]
    public void HlsPlaylistNamedMp4_IsRefusedAsAPlaylist(string name)
    {
        var e = Refused(name);
        Assert.AreEqual(VideoDecodingFailure.Unsupported, e.Failure, e.Message);
        StringAssert.Contains(e.Message, "'hls' format, which is refused");
        StringAssert.Contains(e.Message, "VideoDecoding.ContainerFormats");
        // The streaming reader applies the same rule.
        var reader = Assert.ThrowsExactly<VideoDecodingException>(() => VideoFrameReader.Open(Path.Combine(_inside, name)));
        Assert.AreEqual(VideoDecodingFailure.Unsupported, reader.Failure);
    }

    [TestMethod]
    public void FfconcatScriptNamedMp4_ThroughALinkOutside_IsRefused_AsIsTheLinkItself()
    {
        var script = Refused("concat.mp4");
        Assert.AreEqual(VideoDecodingFailure.Unsupported, script.Failure, script.Message);
        StringAssert.Contains(script.Message, "'concat' format");
        var link = Refused("link.mp4");
        Assert.AreEqual(VideoDecodingFailure.OutsideVideoFolder, link.Failure, link.Message);
    }

    [TestMethod]
    [DataRow("concat-frames")]
    [DataRow("playlist-frames")]
    public void FrameImageThatIsAScriptOrPlaylist_IsRefused(string folder)
    {
        var e = Refused(folder);
        Assert.AreEqual(VideoDecodingFailure.Unsupported, e.Failure, e.Message);
        StringAssert.Contains(e.Message, "not PNG, JPEG or BMP");
    }

    [TestMethod]
    public void PlaylistsAreReadOnlyWhenTheApplicationAllowsThem()
    {
        // The process-wide setting (never a zip's): with "hls" allowed, the same playlist decodes.
        var before = VideoDecoding.ContainerFormats;
        try
        {
            VideoDecoding.ContainerFormats = [.. before, "hls"];
            var mlContext = new MLContext(seed: 1);
            var data = TestVideos.Paths(mlContext, "playlist.mp4");
            var view = mlContext.Transforms.LoadVideoFrames(Small()).Fit(data).Transform(data);
            var clip = TestVideos.ReadClips(view)[0];
            Assert.IsTrue(clip.Any(v => v > 0.05f), "the playlist's segment was decoded once allowed");
        }
        finally
        {
            VideoDecoding.ContainerFormats = before;
        }
        Assert.ThrowsExactly<ArgumentException>(() => VideoDecoding.ContainerFormats = ["mov,hls"]);
    }

    [TestMethod]
    public void PathsAreCheckedAndDecodedAtTheirRealLocation()
    {
        // A link that stays inside resolves to its real file, which is what the decoder gets.
        string real = Path.Combine(_inside, "good.mp4");
        string alias = Path.Combine(_inside, "alias.mp4");
        if (!File.Exists(alias))
            File.CreateSymbolicLink(alias, real);
        var loader = new ClipLoader(new VideoFrameLoadingEstimator.Options { VideoFolder = _inside, FramesPerClip = 2, FrameSize = 16 });
        Assert.AreEqual(Files.FileChecks.RealPath(real), loader.ResolvePath("alias.mp4"));
        Assert.AreEqual(Files.FileChecks.RealPath(real), loader.ResolvePath("good.mp4"));
        var outside = Assert.ThrowsExactly<VideoDecodingException>(() => loader.ResolvePath("link.mp4"));
        Assert.AreEqual(VideoDecodingFailure.OutsideVideoFolder, outside.Failure);
    }

    [TestMethod]
    public void NonRegularFiles_AreRefusedBeforeADecoderStarts()
    {
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("/dev/zero is a Linux device");
        var options = Small();
        options.AllowPathsOutsideVideoFolder = true;
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, "/dev/zero");
        var view = mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.ThrowsExactly<VideoDecodingException>(() => TestVideos.ReadClips(view));
        StringAssert.Contains(e.Message, "not a regular file");
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }
}
