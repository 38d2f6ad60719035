using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Tests.Transforms.TemporalClustering;

/// <summary>TSM's shift (models.md §5.1) on a hand-made tensor, its checkpoint names and its gradient.</summary>
[TestClass, DoNotParallelize]
public sealed class TemporalShiftTests
{
    /// <summary>[N·T, 8, 1, 1] with value 100·n + 10·t + c, so every output value names its source.</summary>
    private static Tensor Numbered(int videos, int frames)
    {
        var values = new float[videos * frames * 8];
        for (int n = 0; n < videos; n++)
            for (int t = 0; t < frames; t++)
                for (int c = 0; c < 8; c++)
                    values[(n * frames + t) * 8 + c] = 100 * n + 10 * t + c;
        return tensor(values, [videos * frames, 8, 1, 1]);
    }

    private static float Expected(int n, int t, int c, int frames)
        => c switch
        {
            0 => t + 1 < frames ? 100 * n + 10 * (t + 1) + c : 0f,   // fold = 8/8 = 1 channel from the next frame
            1 => t > 0 ? 100 * n + 10 * (t - 1) + c : 0f,            // 1 channel from the previous frame
            _ => 100 * n + 10 * t + c,                               // unchanged
        };

    [TestMethod]
    public void Shift_MovesOneEighthEachWay_ZeroFills_AndKeepsVideosApart()
    {
        using var scope = NewDisposeScope();
        const int N = 2, T = 3;
        var x = Numbered(N, T);
        var shifted = TemporalShift.Shift(x, T).data<float>().ToArray();
        for (int n = 0; n < N; n++)
            for (int t = 0; t < T; t++)
                for (int c = 0; c < 8; c++)
                    Assert.AreEqual(Expected(n, t, c, T), shifted[(n * T + t) * 8 + c], $"video {n} frame {t} channel {c}");
        // The input is untouched (no in-place shift).
        Assert.IsTrue(x.equal(Numbered(N, T)).all().item<bool>());
    }

    [TestMethod]
    public void Shift_WithFoldDivisor4_MovesTwoChannelsEachWay()
    {
        using var scope = NewDisposeScope();
        var shifted = TemporalShift.Shift(Numbered(1, 2), 2, foldDivisor: 4).data<float>().ToArray();
        // Frame 0: channels 0,1 from frame 1; channels 2,3 zero; rest own. Frame 1: 0,1 zero; 2,3 from frame 0.
        CollectionAssert.AreEqual(new float[] { 10, 11, 0, 0, 4, 5, 6, 7, 0, 0, 2, 3, 14, 15, 16, 17 }, shifted);
    }

    [TestMethod]
    public void WrappedConv_HasCheckpointKeyNet_AndRunsAfterTheShift()
    {
        using var scope = NewDisposeScope();
        var conv = Conv2d(8, 8, 1, bias: false);
        using (no_grad())
            conv.weight!.copy_(eye(8).reshape(8, 8, 1, 1));   // identity 1×1 conv
        using var block = Sequential(("conv1", new TemporalShift(conv, 3)));

        CollectionAssert.AreEqual(new[] { "conv1.net.weight" }, block.state_dict().Keys.ToArray());
        var x = Numbered(2, 3);
        var output = block.call(x);
        Assert.IsTrue(output.allclose(TemporalShift.Shift(x, 3)));

        // The same module with another segment count for one call (all frames before clustering, g after).
        var shift = (TemporalShift)block.children().Single();
        Assert.AreEqual(3, shift.SegmentCount);
        Assert.IsTrue(shift.forward(Numbered(3, 2), 2).allclose(TemporalShift.Shift(Numbered(3, 2), 2)));
    }

    [TestMethod]
    public void Backward_ReachesEverySourceValue_AndNoneOfTheDroppedOnes()
    {
        using var scope = NewDisposeScope();
        const int T = 3;
        var x = Numbered(1, T).requires_grad_(true);
        TemporalShift.Shift(x, T).sum().backward();
        var grad = x.grad!.data<float>().ToArray();
        for (int t = 0; t < T; t++)
            for (int c = 0; c < 8; c++)
            {
                // Channel 0 of the first frame and channel 1 of the last frame are shifted out; all else is used once.
                float expected = (c == 0 && t == 0) || (c == 1 && t == T - 1) ? 0f : 1f;
                Assert.AreEqual(expected, grad[t * 8 + c], $"frame {t} channel {c}");
            }
    }

    [TestMethod]
    public void BadShapes_AreRejected()
    {
        using var scope = NewDisposeScope();
        var e = Assert.ThrowsExactly<ArgumentException>(() => TemporalShift.Shift(zeros(5, 8, 1, 1), 2));
        StringAssert.Contains(e.Message, "multiple of T = 2; got shape [5, 8, 1, 1]");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TemporalShift.Shift(zeros(4, 8, 1, 1), 2, foldDivisor: 1));
    }
}
