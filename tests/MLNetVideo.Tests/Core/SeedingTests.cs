using MLNetVideo.Determinism;
using Microsoft.ML;
using TorchSharp;

namespace MLNetVideo.Tests.Core;

[TestClass]
public sealed class SeedingTests
{
    [TestMethod]
    public void Resolve_PrefersOption_ThenMLContextSeed_ThenDefault()
    {
        var seeded = new MLContext(seed: 42);
        var environment = MLNetVideo.Interop.MLNetHost.From(seeded.Transforms);
        Assert.AreEqual(7, Seeding.Resolve(7, environment));
        Assert.AreEqual(42, Seeding.Resolve(null, environment));
        Assert.AreEqual(Seeding.DefaultSeed, Seeding.Resolve(null, null));
    }

    [TestMethod]
    public void Streams_AreReproducibleAndIndependent()
    {
        int[] Draw(Random r) => Enumerable.Range(0, 8).Select(_ => r.Next(1000)).ToArray();
        CollectionAssert.AreEqual(Draw(Seeding.CreateRandom(5, RandomStream.DataOrder, 2)), Draw(Seeding.CreateRandom(5, RandomStream.DataOrder, 2)));
        CollectionAssert.AreNotEqual(Draw(Seeding.CreateRandom(5, RandomStream.DataOrder, 2)), Draw(Seeding.CreateRandom(5, RandomStream.Augmentation, 2)));
        CollectionAssert.AreNotEqual(Draw(Seeding.CreateRandom(5, RandomStream.DataOrder, 2)), Draw(Seeding.CreateRandom(5, RandomStream.DataOrder, 3)));
    }

    [TestMethod]
    public void ApplyToTorch_RepeatsRandomTensors()
    {
        Seeding.ApplyToTorch(11);
        using var a = torch.randn(5);
        Seeding.ApplyToTorch(11);
        using var b = torch.randn(5);
        CollectionAssert.AreEqual(a.data<float>().ToArray(), b.data<float>().ToArray());
    }
}
