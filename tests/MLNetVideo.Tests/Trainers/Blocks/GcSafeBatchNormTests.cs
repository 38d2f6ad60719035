using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers.AFNet;
using MLNetVideo.Tests.Trainers.Tsm;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Blocks;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Blocks;

/// <summary><see cref="GcSafeBatchNorm"/> against TorchSharp's <c>BatchNorm2d</c>/<c>BatchNorm3d</c>, and under forced
/// collections.</summary>
[TestClass]
public sealed class GcSafeBatchNormTests
{
    private const long Channels = 3;

    private static long[] Shape(int dims) => dims == 3 ? [2, Channels, 2, 3, 3] : [4, Channels, 3, 3];

    /// <summary>TorchSharp's module and ours with the same non-trivial affine parameters and running statistics.</summary>
    private static (BatchNorm Reference, GcSafeBatchNorm Ours) Pair(int dims, double eps, double momentum)
    {
        BatchNorm reference = dims == 3 ? nn.BatchNorm3d(Channels, eps, momentum) : nn.BatchNorm2d(Channels, eps, momentum);
        var ours = dims == 3 ? GcSafeBatchNorm.For3d(Channels, eps, momentum) : GcSafeBatchNorm.For2d(Channels, eps, momentum);
        using var noGrad = no_grad();
        using var weight = rand(Channels) + 0.5f;
        using var bias = randn(Channels);
        using var mean = randn(Channels);
        using var variance = rand(Channels) + 0.5f;
        foreach (BatchNorm norm in new BatchNorm[] { reference, ours })
        {
            norm.weight.copy_(weight);
            norm.bias!.copy_(bias);
            norm.running_mean!.copy_(mean);
            norm.running_var!.copy_(variance);
        }
        return (reference, ours);
    }

    private static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        Assert.IsTrue(expected.shape.SequenceEqual(actual.shape), $"{what}: shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]");
        double difference = (expected - actual).abs().max().item<float>();
        Assert.IsLessThanOrEqualTo(1e-6, difference, $"{what}: max |difference| {difference}");
    }

    [TestMethod]
    [DataRow(3, false)]
    [DataRow(2, false)]
    [DataRow(3, true)]
    [DataRow(2, true)]
    public void TrainingAndEvaluation_MatchTorchSharpBatchNorm(int dims, bool cumulative)
    {
        manual_seed(7);
        var (reference, ours) = Pair(dims, eps: 1e-3, momentum: 0.2);
        using var r = reference;
        using var o = ours;
        if (cumulative)
            reference.momentum = ours.momentum = null;   // cumulative average: factor 1 / num_batches_tracked
        reference.train();
        ours.train();
        for (int step = 1; step <= 3; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn(Shape(dims)) * 2 + step;
            var upstream = randn(Shape(dims));
            var xReference = x.clone().requires_grad_();
            var xOurs = x.clone().requires_grad_();
            var yReference = reference.call(xReference);
            var yOurs = ours.call(xOurs);
            AssertClose(yReference, yOurs, $"training output, step {step}");
            (yReference * upstream).sum().backward();
            (yOurs * upstream).sum().backward();
            AssertClose(xReference.grad!, xOurs.grad!, $"input gradient, step {step}");
            AssertClose(reference.weight.grad!, ours.weight.grad!, $"weight gradient, step {step}");
            AssertClose(reference.bias!.grad!, ours.bias!.grad!, $"bias gradient, step {step}");
            AssertClose(reference.running_mean!, ours.running_mean!, $"running mean, step {step}");
            AssertClose(reference.running_var!, ours.running_var!, $"running variance, step {step}");
            Assert.AreEqual(step, ours.num_batches_tracked!.item<long>(), "num_batches_tracked");
            Assert.AreEqual(reference.num_batches_tracked!.item<long>(), ours.num_batches_tracked!.item<long>());
            Assert.AreEqual(reference.num_batches_tracked!.dtype, ours.num_batches_tracked!.dtype);
            reference.zero_grad();
            ours.zero_grad();
        }
        // The running statistics moved away from their start: the comparison above is not of two untouched buffers.
        reference.eval();
        ours.eval();
        using (NewDisposeScope())
        using (no_grad())
        {
            var x = randn(Shape(dims));
            AssertClose(reference.call(x), ours.call(x), "evaluation output");
            Assert.AreEqual(3L, ours.num_batches_tracked!.item<long>(), "evaluation does not count batches");
        }
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    public void StateDict_HasTorchSharpsNamesShapesAndTypes_AndLoadsItsValues(int dims)
    {
        manual_seed(3);
        var (reference, ours) = Pair(dims, eps: 1e-5, momentum: 0.1);
        using var r = reference;
        using var o = ours;
        using var fresh = dims == 3 ? GcSafeBatchNorm.For3d(Channels, 1e-5, 0.1) : GcSafeBatchNorm.For2d(Channels, 1e-5, 0.1);
        var expected = reference.state_dict();
        var actual = fresh.state_dict();
        CollectionAssert.AreEqual(new[] { "weight", "bias", "running_mean", "running_var", "num_batches_tracked" }, expected.Keys.ToArray());
        CollectionAssert.AreEqual(expected.Keys.ToArray(), actual.Keys.ToArray());
        foreach (var key in expected.Keys)
        {
            CollectionAssert.AreEqual(expected[key].shape, actual[key].shape, key);
            Assert.AreEqual(expected[key].dtype, actual[key].dtype, key);
        }
        CollectionAssert.AreEqual(new[] { "weight", "bias" }, fresh.named_parameters().Select(p => p.name).ToArray());
        fresh.load_state_dict(expected);
        foreach (var key in expected.Keys)
            Assert.IsTrue(expected[key].equal(fresh.state_dict()[key]).all().item<bool>(), key);
    }

    [TestMethod]
    public void WrongInputRank_IsRefusedWithTheExpectedRank()
    {
        using var norm = GcSafeBatchNorm.For3d(Channels, 1e-3, 0.1);
        using var x = randn(2, Channels, 3, 3);
        var error = Assert.ThrowsExactly<ArgumentException>(() => norm.call(x));
        StringAssert.Contains(error.Message, "5-D");
        StringAssert.Contains(error.Message, "4-D");
    }

    private static IEnumerable<object[]> Networks()
    {
        yield return ["S3D-G", (Func<nn.Module>)(() => new S3DNetwork(S3DSpecs.For(S3DVariant.S3DG, 5, 0.125))), 5L];
        yield return ["MoViNet A0 stream", (Func<nn.Module>)(() => new MoViNetNetwork(MoViNetSpecs.For(MoViNetVariant.A0, MoViNetMode.Stream, 5, 0.25))), 5L];
        yield return ["TSM ResNet-50", (Func<nn.Module>)(() => new TsmNetwork(TsmNetworkTests.Tiny(TsmDepth.ResNet50))), 4L];
        yield return ["AFNet ResNet-50", (Func<nn.Module>)(() => new AFNetNetwork(AFNetNetworkTests.Tiny(AFNetDepth.ResNet50))), 4L];
    }

    /// <summary>Every batch norm of the networks is the collection-safe one (a TorchSharp <c>BatchNorm2d</c>/<c>3d</c>
    /// added later would bring the flaky training forward back).</summary>
    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void EveryBatchNormOfTheNetworks_IsGcSafe(string name, Func<nn.Module> create, long inputDims)
    {
        using var network = create();
        var norms = network.named_modules().Where(m => m.module is BatchNorm).ToList();
        Assert.IsNotEmpty(norms, name);
        foreach (var (path, module) in norms)
        {
            Assert.IsInstanceOfType<GcSafeBatchNorm>(module, $"{name}: {path} is a {module.GetType().Name}");
            Assert.AreEqual(inputDims, ((GcSafeBatchNorm)module).InputDims, $"{name}: {path}");
        }
    }

    /// <summary>
    /// Regression test for the rare CI failure "ExternalException Scalar::toLong … BatchNorm.forward": TorchSharp 0.107's
    /// training forward increments <c>num_batches_tracked</c> through temporary Scalars that a collection plus finalizer
    /// run could free during the native call. Under this harness (<see cref="FinalizerPressure"/>), TorchSharp's
    /// <c>BatchNorm3d</c> failed 15 times in 438,323 calls (about 1 in 29,000; "For integral input tensors, argument alpha
    /// must not be a floating point number", the freed alpha), this module 0 times in 438,095 (BENCHMARKS.md, "Reliability:
    /// batch norm under forced collections"; <c>ReliabilityBenchmarks bnstress</c>). The 2 s here are 15,000–25,000 calls, so a
    /// regression fails this test in roughly one run of two: the benchmark is the strong check, this the cheap tripwire.
    /// </summary>
    [TestMethod]
    public void TrainingForward_UnderForcedCollectionsAndFinalizers_NeverFails()
    {
        using var norm = GcSafeBatchNorm.For3d(2, 1e-3, 0.1);
        norm.train();
        using var x = randn([2, 2, 1, 1, 1]);
        var outcome = FinalizerPressure.Run(norm.call, x, TimeSpan.FromSeconds(2));
        Assert.AreEqual(0, outcome.Failures, $"{outcome.Failures} of {outcome.Calls} calls failed; first: {outcome.FirstError}");
        Assert.IsGreaterThan(0L, outcome.Collections, "the background thread forced collections");
        Assert.AreEqual(outcome.Calls, norm.num_batches_tracked!.item<long>(), "every call counted its batch");
    }
}
