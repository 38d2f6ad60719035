using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Transforms.Decoding;

[TestClass]
public sealed class FrameSamplerTests
{
    [TestMethod]
    public void Uniform_Inference_TakesSegmentCentres()
        => CollectionAssert.AreEqual(new[] { 5, 15, 25, 35 }, FrameSampler.Uniform(40, 4, null));

    [TestMethod]
    public void Uniform_Training_OneFrameInsideEachSegment_AndRepeatsForSameSeed()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var indices = FrameSampler.Uniform(100, 8, new Random(seed));
            for (int i = 0; i < 8; i++)
                Assert.IsTrue(indices[i] >= Math.Floor(i * 12.5) && indices[i] < (i + 1) * 12.5, $"seed {seed}: segment {i} got {indices[i]}");
            CollectionAssert.AreEqual(indices, FrameSampler.Uniform(100, 8, new Random(seed)));
        }
        var a = FrameSampler.Uniform(100, 8, new Random(1));
        var b = FrameSampler.Uniform(100, 8, new Random(2));
        CollectionAssert.AreNotEqual(a, b);
    }

    [TestMethod]
    public void Uniform_FewerFramesThanSegments_RepeatsFramesInOrder()
        => CollectionAssert.AreEqual(new[] { 0, 0, 1, 1, 2, 2 }, FrameSampler.Uniform(3, 6, null, 0.25));

    [TestMethod]
    [DataRow(ClipStart.Start, 0)]
    [DataRow(ClipStart.Centre, 21)]   // span = (8-1)*2+1 = 15, room = 57-15 = 42 -> 21
    public void DenseStart_StartAndCentre(ClipStart start, int expected)
        => Assert.AreEqual(expected, FrameSampler.DenseStart(57, 8, 2, start, null));

    [TestMethod]
    public void DenseStart_Random_StaysWhereTheClipFits()
    {
        var random = new Random(3);
        var seen = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            int start = FrameSampler.DenseStart(20, 4, 3, ClipStart.Random, random);   // span 10 -> starts 0..10
            Assert.IsTrue(start is >= 0 and <= 10, $"start {start}");
            seen.Add(start);
        }
        Assert.AreEqual(11, seen.Count, "every legal start should occur");
    }

    [TestMethod]
    public void Dense_ClipLongerThanVideo_LoopsOrRepeatsLast()
    {
        CollectionAssert.AreEqual(new[] { 0, 2, 4, 1, 3, 0 }, FrameSampler.DenseFrom(5, 0, 6, 2, OutOfBoundsPolicy.Loop));
        CollectionAssert.AreEqual(new[] { 0, 2, 4, 4, 4, 4 }, FrameSampler.DenseFrom(5, 0, 6, 2, OutOfBoundsPolicy.RepeatLast));
        Assert.AreEqual(0, FrameSampler.DenseStart(5, 6, 2, ClipStart.Centre, null));
    }

    [TestMethod]
    public void DenseMultiClip_EvenlySpreadAtInference()
    {
        // 100 frames, clip span 8 -> 93 start positions; 3 clips start at floor((k+0.5)*93/3) = 15, 46, 77.
        var clips = FrameSampler.DenseMultiClip(100, 3, 8, 1, OutOfBoundsPolicy.Loop, null);
        CollectionAssert.AreEqual(new[] { 15, 46, 77 }, clips.Select(c => c[0]).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(46, 8).ToArray(), clips[1]);
    }

    [TestMethod]
    public void All_PadsShortVideosAndSubsamplesLongOnes()
    {
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 2, 2 }, FrameSampler.All(3, 5, OutOfBoundsPolicy.RepeatLast));
        CollectionAssert.AreEqual(new[] { 0, 2, 5, 7 }, FrameSampler.All(10, 4, OutOfBoundsPolicy.Loop));
        CollectionAssert.AreEqual(new[] { 0, 1, 2, 3 }, FrameSampler.All(4, 4, OutOfBoundsPolicy.Loop));
    }

    [TestMethod]
    public void FpsResampling_MapsTargetFramesToEarlierSourceFrames()
    {
        Assert.AreEqual(50, FrameSampler.ResampledFrameCount(100, 30, 15));
        Assert.AreEqual(200, FrameSampler.ResampledFrameCount(100, 15, 30));
        int[] indices = [0, 1, 2, 3];
        FrameSampler.ToSourceIndices(indices, 100, 30, 15);
        CollectionAssert.AreEqual(new[] { 0, 2, 4, 6 }, indices);
        int[] up = [0, 1, 2, 3, 199];
        FrameSampler.ToSourceIndices(up, 100, 15, 30);
        CollectionAssert.AreEqual(new[] { 0, 0, 1, 1, 99 }, up);
    }

    [TestMethod]
    public void DistinctSorted_UnitesClips()
        => CollectionAssert.AreEqual(new[] { 0, 1, 3, 4, 9 }, FrameSampler.DistinctSorted([[4, 1, 0], [9, 3, 1]]));

    [TestMethod]
    public void InvalidArguments_Throw()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FrameSampler.Uniform(0, 4, null));
        StringAssert.Contains(ex.Message, "frameCount must be positive; got 0");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FrameSampler.DenseFrom(10, 10, 2, 1, OutOfBoundsPolicy.Loop));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => FrameSampler.ResampledFrameCount(10, 0, 5));
    }

    [TestMethod]
    public void SelectExpression_UsesArithmeticRuns()
    {
        Assert.AreEqual("between(n,0,3)", FfmpegDecoder.SelectExpression([0, 1, 2, 3], 0));
        Assert.AreEqual("between(n,2,8)*not(mod(n-2,2))+eq(n,20)", FfmpegDecoder.SelectExpression([12, 14, 16, 18, 30], 10));
        Assert.AreEqual("eq(n,5)", FfmpegDecoder.SelectExpression([5], 0));
    }

    [TestMethod]
    public void FrameNames_SortNumerically()
    {
        string[] names = ["10.jpg", "2.jpg", "img_00011.jpg", "1.jpg", "img_00003.jpg"];
        CollectionAssert.AreEqual(new[] { "1.jpg", "2.jpg", "img_00003.jpg", "10.jpg", "img_00011.jpg" },
            names.Order(FrameNameComparer.Instance).ToArray());
    }
}
