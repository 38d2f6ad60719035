using Microsoft.ML;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.MoViNet;

/// <summary>Streaming a video file through a session (<see cref="MoViNetStreaming.StreamVideoFile"/>).</summary>
[TestClass]
[DoNotParallelize]
public sealed class MoViNetVideoFileTests
{
    private const int Frames = 20;
    private const double Fps = 10;
    private static string _folder = null!;
    private static string _video = null!;

    [ClassInitialize]
    public static void WriteVideo(TestContext context)
    {
        _folder = TestVideos.NewFolder("movinet-file");
        _video = Path.Combine(_folder, "moving.mp4");
        // A non-square 48×36 source whose bright square moves right then down, so both resize modes have work to do and
        // the logits change from frame to frame.
        var frames = Enumerable.Range(0, Frames).Select(t =>
        {
            const int w = 48, h = 36;
            var f = new byte[w * h * 3];
            int x = t < 10 ? 2 + (3 * t) : 30, y = t < 10 ? 4 : 4 + (2 * (t - 10));
            for (int yy = y; yy < y + 10; yy++)
                for (int xx = x; xx < x + 10; xx++)
                {
                    int i = ((yy * w) + xx) * 3;
                    f[i] = 250; f[i + 1] = (byte)(20 * (t % 10)); f[i + 2] = 90;
                }
            return f;
        }).ToList();
        SyntheticActionVideos.Encode(_video, frames, 48, 36, Fps, SyntheticVideoFormat.Mp4H264);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    [TestInitialize]
    public void Seed() => manual_seed(21);

    [TestMethod]
    [DataRow(ResizeMode.Stretch, PixelNormalization.ZeroToOne)]
    [DataRow(ResizeMode.ShortSideThenCrop, PixelNormalization.MinusOneToOne)]
    [DataRow(ResizeMode.Stretch, PixelNormalization.Custom)]
    public void StreamVideoFile_GivesTheLogitsOfPushingTheFramesLoadVideoFramesDecodes(ResizeMode resize, PixelNormalization normalization)
    {
        var loaderOptions = new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath", FramesPerClip = Frames, FrameInterval = 1, ClipStart = ClipStart.Start, FrameSize = 32,
            Resize = resize, Normalization = normalization, Layout = ClipLayout.Tchw,
            CustomMean = normalization == PixelNormalization.Custom ? [0.4f, 0.5f, 0.6f] : null,
            CustomStd = normalization == PixelNormalization.Custom ? [0.2f, 0.25f, 0.3f] : null,
        };
        var mlContext = new MLContext(seed: 1);
        var paths = TestVideos.Paths(mlContext, _video);
        var clip = TestVideos.ReadClips(mlContext.Transforms.LoadVideoFrames(loaderOptions).Fit(paths).Transform(paths))[0];
        Assert.AreEqual(Frames * 3 * 32 * 32, clip.Length);

        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var manual = network.CreateStream(CPU);
        var expected = new List<float[]>();
        for (int t = 0; t < Frames; t++)
            expected.Add(manual.Push(clip[(t * 3 * 32 * 32)..((t + 1) * 3 * 32 * 32)], 32, 32));
        Assert.IsTrue(expected[0].Zip(expected[^1]).Max(p => Math.Abs(p.First - p.Second)) > 1e-2, "the logits should move with the video");

        using var stream = network.CreateStream(CPU);
        stream.InputFormat = MoViNetFrameFormat.FromLoader(loaderOptions);
        stream.Push(new float[3 * 32 * 32], 32, 32);   // the file route starts a fresh video
        var predictions = stream.StreamVideoFile(_video).ToList();

        Assert.AreEqual(Frames, predictions.Count);
        Assert.AreEqual(Frames, stream.FramesSeen);
        for (int t = 0; t < Frames; t++)
        {
            var p = predictions[t];
            Assert.AreEqual(t, p.FrameIndex);
            Assert.IsNotNull(p.Time);
            Assert.AreEqual(t / Fps, p.Time.Value.TotalSeconds, 1e-6, $"time of frame {t}");
            double diff = expected[t].Zip(p.Logits).Max(x => Math.Abs(x.First - x.Second));
            Assert.IsTrue(diff <= 1e-4, $"frame {t}: file route differs by {diff:E2}");
            Assert.AreEqual(1.0, p.Probabilities.Sum(), 1e-5);
            Assert.AreEqual(p.Logits.ToList().IndexOf(p.Logits.Max()), p.Top(3)[0].Class);
        }
    }

    [TestMethod]
    public void StreamVideoFile_InChunks_YieldsOnePredictionPerPush_WithTheLastFramesIndexAndTime()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = network.CreateStream(CPU);
        var options = new MoViNetVideoFileOptions { Format = new MoViNetFrameFormat { Height = 32, Width = 40 }, FramesPerPush = 8 };
        var single = stream.StreamVideoFile(_video, new MoViNetVideoFileOptions { Format = options.Format }).ToList();
        var chunked = stream.StreamVideoFile(_video, options).ToList();
        CollectionAssert.AreEqual(new long[] { 7, 15, 19 }, chunked.Select(p => p.FrameIndex).ToArray());
        Assert.AreEqual(1.9, chunked[^1].Time!.Value.TotalSeconds, 1e-6);
        for (int i = 0; i < chunked.Count; i++)
        {
            var reference = single[(int)chunked[i].FrameIndex].Logits;
            Assert.IsTrue(reference.Zip(chunked[i].Logits).Max(x => Math.Abs(x.First - x.Second)) <= 1e-4, $"push {i}");
        }
        Assert.IsTrue(stream.StateShapes.ContainsKey("b1_l0.stream_buffer"));
        CollectionAssert.AreEqual(new long[] { 1, 24, 2, 4, 5 }, stream.StateShapes["b1_l0.stream_buffer"], "32×40 input");
    }

    [TestMethod]
    public void StreamVideoFile_BadFiles_NameTheFile()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = network.CreateStream(CPU);
        var options = new MoViNetVideoFileOptions { Format = new MoViNetFrameFormat { Height = 32, Width = 32 } };

        string missing = Path.Combine(_folder, "missing.mp4");
        var notFound = Assert.ThrowsExactly<VideoDecodingException>(() => stream.StreamVideoFile(missing, options));
        Assert.AreEqual(VideoDecodingFailure.NotFound, notFound.Failure);
        StringAssert.Contains(notFound.Message, "missing.mp4");

        string corrupt = Path.Combine(_folder, "corrupt.mp4");
        File.WriteAllBytes(corrupt, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37)).ToArray());
        var bad = Assert.ThrowsExactly<VideoDecodingException>(() => stream.StreamVideoFile(corrupt, options).ToList());
        StringAssert.Contains(bad.Message, "corrupt.mp4");
        Assert.AreEqual(0, TestVideos.ChildDecoders(), "no decoder is left running");

        // A stream on a bare network has no input format: the caller must give one.
        var noFormat = Assert.ThrowsExactly<ArgumentException>(() => stream.StreamVideoFile(_video));
        StringAssert.Contains(noFormat.Message, "Format");
        Assert.ThrowsExactly<ArgumentException>(() => stream.StreamVideoFile(_video, new MoViNetVideoFileOptions { Format = new MoViNetFrameFormat { Height = 16, Width = 16 } }));
    }

    [TestMethod]
    public void StreamVideoFile_StopsOnCancellation_AndKillsTheDecoder()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = network.CreateStream(CPU);
        using var cancellation = new CancellationTokenSource();
        var options = new MoViNetVideoFileOptions { Format = new MoViNetFrameFormat { Height = 32, Width = 32 } };
        int seen = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() =>
        {
            foreach (var p in stream.StreamVideoFile(_video, options, cancellation.Token))
            {
                seen++;
                if (p.FrameIndex == 4) cancellation.Cancel();
            }
        });
        Assert.AreEqual(5, seen);
        Assert.AreEqual(5, stream.FramesSeen);
        Assert.AreEqual(0, TestVideos.ChildDecoders(), "no decoder is left running");
    }
}
