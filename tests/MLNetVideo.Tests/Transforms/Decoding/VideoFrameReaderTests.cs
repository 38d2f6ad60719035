using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms.Decoding;

[TestClass, DoNotParallelize]
public sealed class VideoFrameReaderTests
{
    private static string _folder = null!;
    private static string _ramp = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("reader");
        _ramp = TestVideos.WriteRamp(_folder, "ramp", 40, 6);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    [TestMethod]
    public void StreamsEveryFrameInOrder_Scaled()
    {
        using var reader = VideoFrameReader.Open(_ramp, new VideoFrameReader.Options { Width = 16, Height = 8 });
        Assert.AreEqual(40, reader.Info.FrameCount);
        Assert.AreEqual(32, reader.Info.Width);
        Assert.AreEqual(25, reader.Info.FramesPerSecond, 1e-9);
        var chw = new float[3 * 16 * 8];
        int count = 0;
        while (reader.MoveNext())
        {
            Assert.AreEqual(count, reader.FrameIndex);
            Assert.HasCount(16 * 8 * 3, reader.CurrentFrame.ToArray());
            reader.CopyCurrentTo(chw, PixelNormalization.MinusOneToOne);
            Assert.AreEqual(count * 6 / 127.5 - 1, chw.Average(), 0.03, $"frame {count}");
            count++;
        }
        Assert.AreEqual(40, count);
        Assert.IsFalse(reader.MoveNext());
        Assert.ThrowsExactly<InvalidOperationException>(() => reader.CurrentFrame.ToArray());
    }

    [TestMethod]
    public void FrameFolder_StreamsInNumericOrder()
    {
        string frames = Path.Combine(_folder, "frames");
        SyntheticActionVideos.Encode(frames, TestVideos.Ramp(12, 32, 20), 32, 32, 25, SyntheticVideoFormat.PngFrames);
        using var reader = VideoFrameReader.Open(frames);
        var levels = new List<int>();
        while (reader.MoveNext())
            levels.Add(reader.CurrentFrame[0]);
        CollectionAssert.AreEqual(Enumerable.Range(0, 12).Select(i => i * 20).ToArray(), levels);
    }

    [TestMethod]
    public void DisposeOrCancelMidStream_LeavesNoDecoder()
    {
        using (var reader = VideoFrameReader.Open(_ramp))
        {
            Assert.IsTrue(reader.MoveNext());
            Assert.IsTrue(TestVideos.ChildDecoders() >= 1, "the decoder runs while streaming");
        }
        Assert.AreEqual(0, TestVideos.ChildDecoders());

        using var cancellation = new CancellationTokenSource();
        using (var reader = VideoFrameReader.Open(_ramp, cancellation: cancellation.Token))
        {
            Assert.IsTrue(reader.MoveNext());
            cancellation.Cancel();
            Assert.ThrowsExactly<OperationCanceledException>(() => reader.MoveNext());
        }
        Assert.AreEqual(0, TestVideos.ChildDecoders());
    }

    [TestMethod]
    public void MissingFile_ClearError()
    {
        var ex = Assert.ThrowsExactly<VideoDecodingException>(() => VideoFrameReader.Open(Path.Combine(_folder, "nope.mp4")));
        Assert.AreEqual(VideoDecodingFailure.NotFound, ex.Failure);
        Assert.IsNull(ex.RowIndex);
        StringAssert.Contains(ex.Message, "nope.mp4");
    }
}
