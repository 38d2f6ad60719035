using MLNetVideo.Trainers.MoViNet;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.MoViNet;

/// <summary>ExportState/ImportState: a session restored from a snapshot continues exactly like the one that was exported.</summary>
[TestClass]
[DoNotParallelize]
public sealed class MoViNetStreamSnapshotTests
{
    private const int Size = 32;

    [TestInitialize]
    public void Seed() => manual_seed(23);

    [TestMethod]
    [DataRow(false, 5)]
    [DataRow(true, 5)]
    [DataRow(true, 4)]
    public void RestoredSession_ContinuesLikeTheUninterruptedOne(bool ensemble, int splitAt)
    {
        using var network = Network(ensemble);
        using var scope = NewDisposeScope();
        var clip = rand([1, 3, 11, Size, Size]);
        using var uninterrupted = new MoViNetStream(network.Members, CPU);
        using var first = new MoViNetStream(network.Members, CPU);
        var expected = new List<Tensor>();
        for (int t = 0; t < 11; t++) expected.Add(uninterrupted.Push(clip.narrow(2, t, 1)));
        for (int t = 0; t < splitAt; t++) first.Push(clip.narrow(2, t, 1));
        var snapshot = first.ExportState();

        // A fresh session (in a real deployment: another process) on the same model takes the state over.
        using var restored = new MoViNetStream(network.Members, CPU);
        restored.ImportState(snapshot);
        Assert.AreEqual(splitAt, restored.FramesSeen);
        CollectionAssert.AreEquivalent(first.StateShapes.Keys.ToArray(), restored.StateShapes.Keys.ToArray());
        for (int t = splitAt; t < 11; t++)
        {
            var logits = restored.Push(clip.narrow(2, t, 1));
            Assert.AreEqual(0.0, (logits - expected[t]).abs().max().item<float>(), 1e-6, $"frame {t}");
        }
        // The prediction moved after the split (so equality above is not a constant).
        Assert.IsTrue((expected[10] - expected[splitAt - 1]).abs().max().item<float>() > 1e-3);
        // Without the state, the same frames give different logits: the snapshot carried it.
        using var blank = new MoViNetStream(network.Members, CPU);
        Tensor? cold = null;
        for (int t = splitAt; t < 11; t++) cold = blank.Push(clip.narrow(2, t, 1));
        Assert.IsTrue((cold! - expected[10]).abs().max().item<float>() > 1e-3);
    }

    [TestMethod]
    public void FreshSession_RoundTripsAsEmpty()
    {
        using var network = Network(false);
        using var session = new MoViNetStream(network.Members, CPU);
        var snapshot = session.ExportState();
        using var other = new MoViNetStream(network.Members, CPU);
        using var scope = NewDisposeScope();
        other.Push(rand([1, 3, 2, Size, Size]));
        other.ImportState(snapshot);
        Assert.AreEqual(0, other.FramesSeen);
        Assert.AreEqual(0, other.StateShapes.Count);
    }

    [TestMethod]
    public void DamagedOrForeignSnapshots_AreRefused_AndLeaveTheSessionUnchanged()
    {
        using var network = Network(false);
        using var other = new MoViNetEnsembleNetwork(MoViNetTestNetworks.TinySpec(MoViNetMode.Stream, classes: 3) with { TemporalEnsemble = true });
        using var scope = NewDisposeScope();
        var clip = rand([1, 3, 4, Size, Size]);
        using var source = new MoViNetStream(network.Members, CPU);
        source.Push(clip.narrow(2, 0, 3));
        var snapshot = source.ExportState();
        using var foreignSource = new MoViNetStream(other.Members, CPU);
        foreignSource.Push(clip.narrow(2, 0, 2));
        var foreign = foreignSource.ExportState();

        using var session = new MoViNetStream(network.Members, CPU);
        session.Push(clip.narrow(2, 0, 2));
        var before = session.ExportState();

        var flipped = (byte[])snapshot.Clone();
        flipped[flipped.Length / 2] ^= 0x40;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => session.ImportState(flipped)).Message, "damaged");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => session.ImportState(snapshot[..^40])).Message, "damaged");
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => session.ImportState([1, 2, 3])).Message, "not a MoViNet stream snapshot");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => session.ImportState(foreign));
        StringAssert.Contains(ex.Message, "2 member network(s) and 3 classes");
        StringAssert.Contains(ex.Message, "has 1 and 5");
        CollectionAssert.AreEqual(before, session.ExportState(), "a refused snapshot must not change the session");
        Assert.AreEqual(2, session.FramesSeen);
    }

    private static TestNetwork Network(bool ensemble)
    {
        if (ensemble)
        {
            var network = new MoViNetEnsembleNetwork(MoViNetTestNetworks.TinySpec(MoViNetMode.Stream) with { TemporalEnsemble = true });
            MoViNetTestNetworks.Calibrate(network);
            return new TestNetwork(network, network.Members);
        }
        var single = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        return new TestNetwork(single, [single]);
    }

    private sealed class TestNetwork(IDisposable owner, IReadOnlyList<MoViNetNetwork> members) : IDisposable
    {
        public IReadOnlyList<MoViNetNetwork> Members { get; } = members;

        public void Dispose() => owner.Dispose();
    }
}
