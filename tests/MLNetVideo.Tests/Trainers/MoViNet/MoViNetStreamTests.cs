using MLNetVideo.Trainers.MoViNet;
using TorchSharp;
using static TorchSharp.torch;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Trainers.MoViNet;

/// <summary>Streaming sessions: chunked streaming equals the causal whole-clip network; constant, documented state.</summary>
[TestClass]
[DoNotParallelize]
public sealed class MoViNetStreamTests
{
    private const int Frames = 12;
    private const int Size = 32;

    [TestInitialize]
    public void Seed() => manual_seed(17);

    private static MoViNetStream Open(MoViNetNetwork network) => new([network], CPU);

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    [DataRow(8)]
    public void StreamingInChunks_MatchesTheCausalWholeClip(int chunk)
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var scope = NewDisposeScope();
        var clip = rand([1, 3, Frames, Size, Size]);
        Tensor whole, perFrame;
        using (no_grad())
        {
            whole = network.call(clip);
            perFrame = network.ForwardPerFrame(clip);   // [1, T, classes]
        }
        Assert.IsTrue(whole.std().item<float>() > 1e-2, "logits should not be flat");
        Assert.AreEqual(0.0, (perFrame[.., Frames - 1] - whole).abs().max().item<float>(), 1e-5);
        // The prediction changes as frames arrive (so the boundary checks below are not vacuous).
        Assert.IsTrue((perFrame[.., 0] - perFrame[.., Frames - 1]).abs().max().item<float>() > 1e-2);
        // …and depends on the input at a scale far above the 1e-4 tolerance.
        using (no_grad())
            Assert.IsTrue((network.call(rand([1, 3, Frames, Size, Size])) - whole).abs().max().item<float>() > 1e-2);

        using var stream = Open(network);
        Tensor? last = null;
        int boundaries = 0;
        for (int start = 0; start < Frames; start += chunk)
        {
            int length = Math.Min(chunk, Frames - start);
            last = stream.Push(clip.narrow(2, start, length));
            long end = start + length - 1;
            double diff = (last - perFrame[.., end]).abs().max().item<float>();
            Assert.IsTrue(diff <= 1e-4, $"chunk {chunk}: frame {end} differs by {diff:E2}");
            boundaries++;
        }
        Assert.AreEqual((Frames + chunk - 1) / chunk, boundaries);
        Assert.AreEqual(Frames, stream.FramesSeen);
        Assert.IsTrue((last! - whole).abs().max().item<float>() <= 1e-4);
    }

    [TestMethod]
    public void StateShapes_AreTheDocumentedOnes_AndDoNotGrow()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = Open(network);
        Assert.AreEqual(0, stream.StateShapes.Count);
        using var scope = NewDisposeScope();
        stream.Push(rand([1, 3, 1, Size, Size]));
        var expected = network.StateShapes(1, Size, Size).ToDictionary(s => s.Key, s => s.Value);
        var actual = stream.StateShapes;
        CollectionAssert.AreEquivalent(expected.Keys.ToArray(), actual.Keys.ToArray());
        foreach (var (name, shape) in expected)
            CollectionAssert.AreEqual(shape, actual[name], name);
        // Tiny A0 at 32²: b1 at 4×4 (32 → 16 → 8 → 4) with expand 24, temporal kernel 3 → 2 buffered frames.
        CollectionAssert.AreEqual(new long[] { 1, 24, 2, 4, 4 }, actual["b1_l0.stream_buffer"]);
        CollectionAssert.AreEqual(new long[] { 1, 48, 4, 2, 2 }, actual["b2_l0.stream_buffer"]);
        CollectionAssert.AreEqual(new long[] { 1, 120, 1, 1, 1 }, actual["head.pool_sum"]);
        Assert.IsFalse(actual.ContainsKey("b0_l0.stream_buffer"), "1×5×5 layers keep no frames");
        long after1 = stream.StateElementCount;
        for (int i = 0; i < 5; i++) stream.Push(rand([1, 3, 7, Size, Size]));
        Assert.AreEqual(36, stream.FramesSeen);
        Assert.AreEqual(after1, stream.StateElementCount);
        Assert.AreEqual(expected.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)), stream.StateElementCount);
    }

    [TestMethod]
    public void Push_LeaksNoTensors()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = Open(network);
        using var frame = rand([1, 3, 2, Size, Size]);
        stream.Push(frame).Dispose();   // warm-up: the state tensors are created by the first push,
        stream.Push(frame).Dispose();   // and their spares (double buffering) by the second
        DisposeScopeManager.Statistics.Reset();
        for (int i = 0; i < 6; i++)
            stream.Push(frame).Dispose();
        Assert.AreEqual(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount, DisposeScopeManager.Statistics.ToString());
    }

    [TestMethod, TestCategory(TestCategories.Soak)]
    public void LongStream_StateSizeAndLiveTensorCount_DoNotGrowBetweenFrame16AndFrame256()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = Open(network);
        using var frame = rand([1, 3, 1, Size, Size]);
        long stateAt16 = 0, liveAt16 = 0;
        DisposeScopeManager.Statistics.Reset();
        for (int t = 1; t <= 256; t++)
        {
            stream.Push(frame).Dispose();
            if (t == 16)
            {
                stateAt16 = stream.StateElementCount;
                liveAt16 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            }
        }
        Assert.AreEqual(256, stream.FramesSeen);
        Assert.IsTrue(stateAt16 > 0);
        Assert.AreEqual(stateAt16, stream.StateElementCount, "state floats at frame 16 vs 256");
        Assert.AreEqual(liveAt16, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "live TorchSharp tensors at frame 16 vs 256");
        // The live tensors are exactly the session's: committed state + spares + the last logits.
        Assert.AreEqual((2 * stream.StateShapes.Count) + 1, liveAt16, DisposeScopeManager.Statistics.ToString());
        stream.Dispose();
        Assert.AreEqual(0L, DisposeScopeManager.Statistics.ThreadTotalLiveCount, "disposing the session frees everything");
    }

    [TestMethod]
    public void Sessions_AreIndependent_Resettable_AndRunConcurrently()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        var clipA = rand([1, 3, 6, Size, Size]);
        var clipB = rand([1, 3, 6, Size, Size]);
        float[] Alone(Tensor clip)
        {
            using var s = Open(network);
            using var l = s.Push(clip);
            return l.data<float>().ToArray();
        }
        var refA = Alone(clipA);
        var refB = Alone(clipB);
        Assert.IsTrue(refA.Zip(refB).Max(p => Math.Abs(p.First - p.Second)) > 1e-2);

        // Interleaved frame by frame on one network.
        using (var a = Open(network))
        using (var b = Open(network))
        {
            float[] la = [], lb = [];
            for (int t = 0; t < 6; t++)
            {
                using var x = a.Push(clipA.narrow(2, t, 1));
                using var y = b.Push(clipB.narrow(2, t, 1));
                la = x.data<float>().ToArray();
                lb = y.data<float>().ToArray();
            }
            AssertClose(refA, la);
            AssertClose(refB, lb);
            a.Reset();
            Assert.AreEqual(0, a.FramesSeen);
            Assert.AreEqual(0, a.StateShapes.Count);
            using var again = a.Push(clipA);
            AssertClose(refA, again.data<float>().ToArray());
        }

        // Four sessions on four threads at once.
        var results = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4).Select(i =>
        {
            var clip = i % 2 == 0 ? clipA : clipB;
            using var s = Open(network);
            float[] l = [];
            for (int t = 0; t < 6; t += 2)
            {
                using var x = s.Push(clip.narrow(2, t, 2));
                l = x.data<float>().ToArray();
            }
            return (i, l);
        }).ToArray();
        foreach (var (i, l) in results)
            AssertClose(i % 2 == 0 ? refA : refB, l);
        clipA.Dispose();
        clipB.Dispose();
    }

    [TestMethod]
    public void Push_RejectsAChangedFrameSize_AndBaseNetworksCannotStream()
    {
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var stream = Open(network);
        using var scope = NewDisposeScope();
        stream.Push(rand([1, 3, 1, Size, Size]));
        var e = Assert.ThrowsExactly<ArgumentException>(() => stream.Push(rand([1, 3, 1, 64, 64])));
        StringAssert.Contains(e.Message, "frame size must stay the same");
        Assert.AreEqual(1, stream.FramesSeen, "a failed push consumes nothing");
        Assert.ThrowsExactly<ArgumentException>(() => stream.Push(rand([3, Size, Size])));
        using var baseNetwork = MoViNetTestNetworks.TinyA0(MoViNetMode.Base);
        Assert.ThrowsExactly<InvalidOperationException>(() => Open(baseNetwork));
        stream.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => stream.Push(rand([1, 3, 1, Size, Size])));
    }

    [TestMethod]
    public void Ensemble_StreamMatchesTheWholeClipEnsemble()
    {
        using var ensemble = new MoViNetEnsembleNetwork(MoViNetTestNetworks.TinySpec(MoViNetMode.Stream) with { TemporalEnsemble = true });
        MoViNetTestNetworks.Calibrate(ensemble);
        using var scope = NewDisposeScope();
        var clip = rand([1, 3, 9, Size, Size]);
        Tensor whole;
        using (no_grad()) whole = ensemble.call(clip);
        // The members really see different frames.
        using (no_grad())
            Assert.IsTrue((ensemble.Members[0].call(clip.slice(2, 0, 9, 2)) - ensemble.Members[0].call(clip.slice(2, 1, 9, 2))).abs().max().item<float>() > 1e-2);
        foreach (int chunk in new[] { 1, 4 })
        {
            using var stream = new MoViNetStream(ensemble.Members, CPU);
            Tensor? last = null;
            for (int start = 0; start < 9; start += chunk)
                last = stream.Push(clip.narrow(2, start, Math.Min(chunk, 9 - start)));
            Assert.AreEqual(9, stream.FramesSeen);
            Assert.IsTrue(stream.StateShapes.ContainsKey("model_1.head.pool_sum"));
            Assert.IsTrue((last! - whole).abs().max().item<float>() <= 1e-4, $"chunk {chunk}");
        }
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.AreEqual(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], 1e-4, $"logit {i}");
    }
}
