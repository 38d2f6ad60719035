using MLNetVideo.Tests.TestSupport;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// The training loop's SGD and AdamW hold the Scalars of their update (TorchSharp 0.107's implicit temporaries can be
/// freed mid-call by a collection): they step exactly as TorchSharp's own, their saved state loads into TorchSharp's and
/// back, and they step under forced collections and finalizer runs without failing.
/// </summary>
[TestClass]
public sealed class HeldScalarOptimizerTests
{
    private const int Steps = 6;

    /// <summary>Two parameters (a matrix and a vector) with fixed values.</summary>
    private static List<Parameter> Parameters(int seed)
    {
        var generator = new Generator((ulong)seed);
        return [new Parameter(randn([4, 3], generator: generator)), new Parameter(randn([3], generator: generator))];
    }

    /// <summary>Gives every parameter a gradient drawn from <paramref name="generator"/> (the same sequence for both runs).</summary>
    private static void SetGradients(IReadOnlyList<Parameter> parameters, Generator generator)
    {
        foreach (var p in parameters)
            p.grad = randn(p.shape, generator: generator);
    }

    private static float[] Values(IEnumerable<Parameter> parameters)
        => [.. parameters.SelectMany(p => p.detach().data<float>().ToArray())];

    /// <summary>Runs <see cref="Steps"/> steps of an optimizer made by <paramref name="create"/> with the same gradients.</summary>
    private static float[] Train(Func<IReadOnlyList<Parameter>, TorchSharp.Modules.OptimizerHelper> create)
    {
        var parameters = Parameters(1);
        using var optimizer = create(parameters);
        var generator = new Generator(2);
        for (int i = 0; i < Steps; i++)
        {
            SetGradients(parameters, generator);
            optimizer.step();
        }
        return Values(parameters);
    }

    private static TorchSharp.Modules.SGD.ParamGroup SgdGroup(IReadOnlyList<Parameter> p) => new(p, lr: 0.05, momentum: 0.9, weight_decay: 1e-3);

    private static TorchSharp.Modules.AdamW.ParamGroup AdamWGroup(IReadOnlyList<Parameter> p) => new(p, lr: 0.01, weight_decay: 0.05);

    [TestMethod]
    public void Sgd_StepsExactlyAsTorchSharps()
    {
        var ours = Train(p => new MLNetVideo.Trainers.Common.SGD([SgdGroup(p)], 0.05, 0.9, 1e-3));
        var theirs = Train(p => optim.SGD([SgdGroup(p)], 0.05, momentum: 0.9, weight_decay: 1e-3));
        CollectionAssert.AreEqual(theirs, ours);
        CollectionAssert.AreNotEqual(Values(Parameters(1)), ours, "the steps moved the parameters");
    }

    [TestMethod]
    public void AdamW_StepsExactlyAsTorchSharps_WithAndWithoutAmsgrad()
    {
        foreach (bool amsgrad in new[] { false, true })
        {
            TorchSharp.Modules.AdamW.ParamGroup Group(IReadOnlyList<Parameter> p)
            {
                var group = AdamWGroup(p);
                group.Options.amsgrad = amsgrad;
                return group;
            }
            var ours = Train(p => new MLNetVideo.Trainers.Common.AdamW([Group(p)], 0.01, 0.05));
            var theirs = Train(p => optim.AdamW([Group(p)], 0.01, weight_decay: 0.05));
            CollectionAssert.AreEqual(theirs, ours, $"amsgrad {amsgrad}");
            CollectionAssert.AreNotEqual(Values(Parameters(1)), ours, "the steps moved the parameters");
        }
    }

    [TestMethod]
    public void SavedState_LoadsIntoTorchSharpsOptimizer_AndBack()
    {
        // Three steps with ours, its state into TorchSharp's for three more, and the reverse: the same as six with either.
        float[] Handover(bool oursFirst)
        {
            var parameters = Parameters(1);
            var generator = new Generator(2);
            TorchSharp.Modules.OptimizerHelper Ours() => new MLNetVideo.Trainers.Common.SGD([SgdGroup(parameters)], 0.05, 0.9, 1e-3);
            TorchSharp.Modules.OptimizerHelper Theirs() => optim.SGD([SgdGroup(parameters)], 0.05, momentum: 0.9, weight_decay: 1e-3);
            using var first = oursFirst ? Ours() : Theirs();
            using var second = oursFirst ? Theirs() : Ours();
            for (int i = 0; i < Steps / 2; i++) { SetGradients(parameters, generator); first.step(); }
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
                first.save_state_dict(writer);
            stream.Position = 0;
            using (var reader = new BinaryReader(stream))
                second.load_state_dict(reader);
            for (int i = Steps / 2; i < Steps; i++) { SetGradients(parameters, generator); second.step(); }
            return Values(parameters);
        }
        var straight = Train(p => optim.SGD([SgdGroup(p)], 0.05, momentum: 0.9, weight_decay: 1e-3));
        CollectionAssert.AreEqual(straight, Handover(oursFirst: true), "ours, then TorchSharp's");
        CollectionAssert.AreEqual(straight, Handover(oursFirst: false), "TorchSharp's, then ours");
    }

    [TestMethod]
    public void Steps_UnderForcedCollectionsAndFinalizers_NeverFail()
    {
        var parameters = Parameters(3);
        SetGradients(parameters, new Generator(4));
        using var sgd = new MLNetVideo.Trainers.Common.SGD([SgdGroup(parameters)], 1e-6, 0.9, 1e-3);
        using var adamw = new MLNetVideo.Trainers.Common.AdamW([AdamWGroup(parameters)], 1e-6, 0.05);
        using var input = zeros(1);
        var outcome = FinalizerPressure.Run(x => { sgd.step(); adamw.step(); return x; }, input, TimeSpan.FromSeconds(1.5));
        Assert.AreEqual(0, outcome.Failures, $"{outcome.Failures} of {outcome.Calls} steps failed; first: {outcome.FirstError}");
        Assert.IsGreaterThan(0L, outcome.Collections, "the background thread forced collections");
        Assert.IsTrue(Values(parameters).All(float.IsFinite));
    }
}
