using System.Diagnostics;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>
/// Issue 22, item 3: MP4 / MOV files are probed from their header boxes in process, with the same size, frame count,
/// frame rate and codec ffprobe reports; anything out of the ordinary (fragmented, rotated, not MP4, truncated) is left
/// to ffprobe.
/// </summary>
[TestClass]
public sealed class Mp4HeaderTests
{
    private static string _folder = null!;

    [ClassInitialize]
    public static void Setup(TestContext _) => _folder = TestVideos.NewFolder("mp4header");

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static string Make(string name, params string[] output)
    {
        string path = Path.Combine(_folder, name);
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-v", "error", "-f", "lavfi", "-i", "testsrc=size=48x32:rate=25", "-frames:v", "13" }.Concat(output).Append("-y").Append(path))
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.AreEqual(0, process.ExitCode, error);
        return path;
    }

    private static void AssertSameAsFfprobe(string path, string codec, int frames, double fps)
    {
        var header = Mp4Header.TryRead(path);
        Assert.IsNotNull(header, $"{Path.GetFileName(path)}: header not read");
        var probed = FfmpegDecoder.Probe(path, FfmpegSettings.Default, readHeader: false);
        Assert.AreEqual(probed.Codec, header.Value.Codec);
        Assert.AreEqual(codec, header.Value.Codec);
        Assert.AreEqual(probed.Width, header.Value.Width);
        Assert.AreEqual(probed.Height, header.Value.Height);
        Assert.AreEqual(probed.FrameCount, header.Value.Frames);
        Assert.AreEqual(frames, header.Value.Frames);
        Assert.AreEqual(probed.FramesPerSecond, header.Value.FramesPerSecond, 1e-9);
        Assert.AreEqual(fps, header.Value.FramesPerSecond, 1e-3);
        var viaProbe = FfmpegDecoder.Probe(path, FfmpegSettings.Default);
        Assert.AreEqual((probed.Width, probed.Height, probed.FrameCount, probed.Codec), (viaProbe.Width, viaProbe.Height, viaProbe.FrameCount, viaProbe.Codec));
    }

    [TestMethod]
    public void H264Mp4_FastStartOrNot_AndOtherRates_MatchFfprobe()
    {
        AssertSameAsFfprobe(Make("fast.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"), "h264", 13, 25);
        AssertSameAsFfprobe(Make("moov-last.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", "30000/1001"), "h264", 13, 30000 / 1001.0);
        AssertSameAsFfprobe(Make("mpeg4.mov", "-c:v", "mpeg4", "-r", "15"), "mpeg4", 13, 15);
        AssertSameAsFfprobe(Make("mjpeg.mov", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p"), "mjpeg", 13, 25);
    }

    [TestMethod]
    public void UnusualFiles_AreLeftToFfprobe()
    {
        Assert.IsNull(Mp4Header.TryRead(Make("fragmented.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "frag_keyframe+empty_moov")));
        // A rotated track (display matrix of 90°; this FFmpeg's muxer writes none, so the matrix is patched in).
        var rotated = File.ReadAllBytes(Make("rotated.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p"));
        int tkhd = rotated.AsSpan().IndexOf("tkhd"u8);
        Assert.IsGreaterThan(0, tkhd);
        int matrix = tkhd + 4 + 40;   // version 0 body: matrix after 40 bytes
        byte[][] rotation = [[0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 0], [0xFF, 0xFF, 0, 0], [0, 0, 0, 0]];
        for (int i = 0; i < rotation.Length; i++)
            rotation[i].CopyTo(rotated, matrix + 4 * i);
        string rotatedPath = Path.Combine(_folder, "rotated.mp4");
        File.WriteAllBytes(rotatedPath, rotated);
        Assert.IsNull(Mp4Header.TryRead(rotatedPath));
        Assert.IsNull(Mp4Header.TryRead(Make("vp8.webm", "-c:v", "libvpx")));
        Assert.IsNull(Mp4Header.TryRead(Make("mjpeg.avi", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p")));
        string text = Path.Combine(_folder, "text.mp4");
        File.WriteAllText(text, "ftyp but not really a video");
        Assert.IsNull(Mp4Header.TryRead(text));
        string whole = Make("whole.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p");
        string truncated = Path.Combine(_folder, "truncated.mp4");
        var bytes = File.ReadAllBytes(whole);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length * 6 / 10)]);   // moov is at the end: cut off
        Assert.IsNull(Mp4Header.TryRead(truncated));
        Assert.IsNull(Mp4Header.TryRead(Path.Combine(_folder, "missing.mp4")));
    }

    [TestMethod]
    public void FuzzedHeaders_NeverThrow()
    {
        var bytes = File.ReadAllBytes(Make("fuzz.mp4", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"));
        var random = new Random(5);
        string path = Path.Combine(_folder, "fuzzed.mp4");
        int read = 0;
        for (int i = 0; i < 200; i++)
        {
            var copy = (byte[])bytes.Clone();
            for (int k = 0; k < 4; k++)
                copy[random.Next(Math.Min(copy.Length, 2048))] = (byte)random.Next(256);
            File.WriteAllBytes(path, copy);
            if (Mp4Header.TryRead(path) is { } info)
            {
                read++;
                Assert.IsTrue(info.Width > 0 && info.Height > 0 && info.Frames > 0 && info.FramesPerSecond > 0);
            }
        }
        Assert.IsGreaterThan(0, read, "most single-byte changes leave the header readable");
    }
}
