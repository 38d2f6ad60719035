using MLNetVideo.Trainers.AFNet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.AFNet;

/// <summary>AF-ResNet structure, navigation, Gumbel straight-through gradients, ratio loss and real frame skipping.</summary>
[TestClass]
[DoNotParallelize]
public sealed class AFNetNetworkTests
{
    [TestInitialize]
    public void Seed() => torch.manual_seed(7);

    internal static AFNetSpec Tiny(AFNetDepth depth, int frames = 4) => new()
    {
        Depth = depth,
        NumClasses = 5,
        Frames = frames,
        WidthMultiplier = 0.25,
        DropoutRate = 0,
    };

    [TestMethod]
    [DataRow(AFNetDepth.ResNet18, 3)]
    [DataRow(AFNetDepth.ResNet50, 10)]
    public void Tiny_ShapesMasksAndInitialSelection(AFNetDepth depth, int navigationModules)
    {
        using var network = new AFNetNetwork(Tiny(depth));
        Assert.AreEqual(navigationModules, network.Spec.NavigationCount);
        // Scaled widths keep every k×k conv (stem aside) at multiples of 16 channels per group (libtorch CPU defect, see Widths).
        foreach (var (name, weight) in network.state_dict().Where(kv => kv.Value.dim() == 4 && kv.Value.shape[2] > 1 && kv.Key != "conv1.weight"))
            Assert.IsTrue(weight.shape[0] % 16 == 0 && weight.shape[1] % 16 == 0, $"{name} [{string.Join(", ", weight.shape)}]");
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var output = network.Run(randn(new long[] { 2, 4, 3, 32, 48 }));
        CollectionAssert.AreEqual(new long[] { 2, 5 }, output.Logits.shape);
        Assert.AreEqual(navigationModules, output.Masks.Count);
        foreach (var mask in output.Masks)
            CollectionAssert.AreEqual(new long[] { 2, 4 }, mask.shape);
        // Gate bias [1, 10] per frame: every frame starts selected.
        CollectionAssert.AreEqual(new[] { 1f, 1f }, output.SelectedFrameRatio.data<float>().ToArray());
        Assert.IsFalse(output.Logits.isnan().any().item<bool>());
        CollectionAssert.AreEqual(new long[] { 2, 5 }, network.call(randn(new long[] { 2, 4, 3, 32, 32 })).shape);
    }

    [TestMethod]
    public void WrongFrameCount_FailsWithShapeInMessage()
    {
        using var network = new AFNetNetwork(Tiny(AFNetDepth.ResNet18));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => network.call(zeros(new long[] { 1, 6, 3, 32, 32 })));
        StringAssert.Contains(ex.Message, "T = 4");
        StringAssert.Contains(ex.Message, "[1, 6, 3, 32, 32]");
    }

    [TestMethod]
    [DataRow("conv1.weight", new long[] { 64, 3, 7, 7 })]
    [DataRow("layer1.list_gen.0.conv_pool.weight", new long[] { 2, 64, 1, 1 })]
    [DataRow("layer1.list_gen.0.bn.running_var", new long[] { 2 })]
    [DataRow("layer1.list_gen.1.conv_pool.weight", new long[] { 2, 128, 1, 1 })]
    [DataRow("layer1.list_gen.0.conv_gs.weight", new long[] { 24, 2, 1, 1 })]
    [DataRow("layer1.list_gen.0.conv_gs.bias", new long[] { 24 })]
    [DataRow("layer1.base_module.0.conv1.weight", new long[] { 32, 64, 1, 1 })]
    [DataRow("layer1.base_module.0.conv2.weight", new long[] { 32, 32, 3, 3 })]
    [DataRow("layer1.base_module.0.downsample.1.weight", new long[] { 128, 64, 1, 1 })]
    [DataRow("layer1.base_module.0.downsample.2.running_mean", new long[] { 128 })]
    [DataRow("layer1.refine_module.0.conv1.weight", new long[] { 64, 32, 1, 1 })]
    [DataRow("layer1.refine_module.0.conv2.weight", new long[] { 64, 32, 3, 3 })]
    [DataRow("layer1.refine_module.1.conv3.weight", new long[] { 256, 32, 1, 1 })]
    [DataRow("layer1.refine_module.0.downsample.0.weight", new long[] { 256, 64, 1, 1 })]
    [DataRow("layer1.base_transform.0.weight", new long[] { 256, 128, 1, 1 })]
    [DataRow("layer1.base_transform.1.weight", new long[] { 256 })]
    [DataRow("layer1.att_gen.fc.0.weight", new long[] { 16, 256 })]
    [DataRow("layer1.att_gen.fc.2.weight", new long[] { 256, 16 })]
    [DataRow("layer1.fusion.0.conv2.weight", new long[] { 64, 64, 3, 3 })]
    [DataRow("layer2.base_module.2.bn3.weight", new long[] { 256 })]
    [DataRow("layer3.list_gen.4.conv_pool.weight", new long[] { 2, 512, 1, 1 })]
    [DataRow("layer3.refine_module.4.conv2.weight", new long[] { 256, 128, 3, 3 })]
    [DataRow("layer4.0.downsample.1.weight", new long[] { 2048, 1024, 1, 1 })]
    [DataRow("layer4.2.bn3.running_var", new long[] { 2048 })]
    [DataRow("fc.weight", new long[] { 174, 2048 })]
    public void FullSizeResNet50_StateDictKeysFollowOfficialNames(string key, long[] shape)
    {
        using var network = new AFNetNetwork(AFNetSpecs.For(AFNetDepth.ResNet50, numClasses: 174, frames: 12));
        var stateDict = network.state_dict();
        Assert.IsTrue(stateDict.ContainsKey(key), $"missing {key}");
        CollectionAssert.AreEqual(shape, stateDict[key].shape, key);
        // No weights of the stride-2 fusion shortcut (AvgPool only) and 10 navigation modules in all.
        Assert.IsFalse(stateDict.Keys.Any(k => k.StartsWith("layer1.fusion.0.downsample.", StringComparison.Ordinal)));
        Assert.AreEqual(10, stateDict.Keys.Count(k => k.EndsWith(".conv_gs.bias", StringComparison.Ordinal)));
        Assert.IsFalse(stateDict.Keys.Any(k => k.Contains('_') && k.Split('.').Any(p => p.StartsWith('_'))), "no private fields registered");
    }

    [TestMethod]
    public void FullSizeResNet50_ParameterCountFromTheLayerTable()
    {
        // models.md §4 gives no parameter count for AF-ResNet50, so this pins the total to the count derived by hand from the
        // layer table (with 174 classes and T = 12): it changes only if a layer's shape changes.
        using var network = new AFNetNetwork(AFNetSpecs.For(AFNetDepth.ResNet50, numClasses: 174, frames: 12));
        long expected = ExpectedResNet50Parameters(frames: 12, classes: 174);
        Assert.AreEqual(expected, network.ParameterCount());
    }

    /// <summary>Parameter count of AF-ResNet50 from the layer table (models.md §4.2), written independently of the network code.</summary>
    private static long ExpectedResNet50Parameters(int frames, int classes)
    {
        static long Bn(long c) => 2 * c;
        static long Bottleneck(long cin, long cout, long groups, bool pool, bool projection)
        {
            long inner = cout / 4;
            long p = (cin * inner / groups) + Bn(inner) + (inner * inner * 9 / groups) + Bn(inner) + (inner * cout / groups) + Bn(cout);
            if (projection) p += (cin * cout) + Bn(cout);
            return p;
        }
        long Navigation(long cin) => (cin * 2) + Bn(2) + (2L * frames * 2) + (2L * frames);
        long total = (3 * 64 * 49) + Bn(64);
        long[] outs = [256, 512, 1024];
        int[] blocks = [3, 4, 6];
        long cinStage = 64;
        for (int s = 0; s < 3; s++)
        {
            long cout = outs[s], ample = cout / 2;
            for (int i = 0; i < blocks[s] - 1; i++)
            {
                total += Navigation(i == 0 ? cinStage : ample);
                total += Bottleneck(i == 0 ? cinStage : ample, ample, 1, i == 0, i == 0 && cinStage != ample);
                total += Bottleneck(i == 0 ? cinStage : cout, cout, 2, false, i == 0 && cinStage != cout);
            }
            total += (ample * cout) + Bn(cout);                 // base_transform
            total += 2 * (cout * (cout / 16));                  // att_gen
            total += Bottleneck(cout, cout, 1, s < 2, false);   // fusion
            cinStage = cout;
        }
        total += Bottleneck(1024, 2048, 1, true, true) + (2 * Bottleneck(2048, 2048, 1, false, false));
        total += (2048 * classes) + classes;
        return total;
    }

    [TestMethod]
    public void GumbelStraightThrough_ForwardIsOneHot_GradientIsTheSoftSample()
    {
        var logits = tensor(new float[] { 0.3f, -0.2f, 1.5f, 0.5f }).reshape(2, 2).requires_grad_(true);
        var weights = tensor(new float[] { 2f, -1f, 0.5f, 3f }).reshape(2, 2);
        var hard = GumbelSoftmax.HardStraightThrough(logits, 0.5, noise: false);
        CollectionAssert.AreEqual(new[] { 1f, 0f, 1f, 0f }, hard.data<float>().ToArray());
        (hard * weights).sum().backward();
        var expectedLogits = logits.detach().clone().requires_grad_(true);
        (nn.functional.softmax(expectedLogits / 0.5, -1) * weights).sum().backward();
        var actual = logits.grad!.data<float>().ToArray();
        var expected = expectedLogits.grad!.data<float>().ToArray();
        for (int i = 0; i < 4; i++)
            Assert.AreEqual(expected[i], actual[i], 1e-6, $"gradient {i}");
        Assert.IsTrue(actual.Any(g => Math.Abs(g) > 1e-3f));
    }

    [TestMethod]
    public void GumbelNoise_SamplesFollowTheSoftmaxProbabilities()
    {
        // logits (0, ln 3): P(index 1) = 0.75. 20,000 samples: standard error 0.003, so ±0.02 is > 6 sigma.
        var logits = tensor(new float[] { 0f, (float)Math.Log(3) }).expand(20_000, 2);
        var samples = GumbelSoftmax.HardStraightThrough(logits, 1.0, noise: true);
        Assert.AreEqual(0.75, samples.select(1, 1).mean().item<float>(), 0.02);
    }

    [TestMethod]
    public void ClassificationLoss_StraightThroughGradientsReachTheNavigationWeights()
    {
        using var network = new AFNetNetwork(Tiny(AFNetDepth.ResNet18));
        network.train();
        network.Temperature = 1.0;
        var logits = network.call(randn(new long[] { 2, 4, 3, 32, 32 }));
        nn.functional.cross_entropy(logits, tensor(new long[] { 1, 3 })).backward();
        var gates = network.named_parameters().Where(p => p.name.Contains("list_gen", StringComparison.Ordinal)).ToList();
        Assert.AreEqual(3 * 5, gates.Count);   // conv_pool.weight, bn.weight, bn.bias, conv_gs.weight, conv_gs.bias per module
        foreach (var (name, p) in gates.Where(g => g.name.EndsWith("conv_gs.weight", StringComparison.Ordinal) || g.name.EndsWith("conv_pool.weight", StringComparison.Ordinal)))
        {
            Assert.IsNotNull(p.grad, name);
            Assert.IsTrue(p.grad!.abs().sum().item<float>() > 0, $"{name} has a zero gradient");
        }
        Assert.AreEqual(3, network.LastMasks.Count);
    }

    [TestMethod]
    public void RatioLoss_DrivesTheSelectedRatioFromAllFramesTowardTheTarget()
    {
        // Tiny AF-ResNet-18; only the navigation modules learn (Adam), from the ratio loss alone with RT = 0.5 and τ = 1, for
        // 60 steps on random clips. The ratio starts at 1.0 (gate bias). Each batch has 2 × 4 = 8 frame decisions per module
        // and 3 modules; the mean of the last 20 steps' ratios averages 480 Bernoulli decisions (standard error ≤ 0.023), so
        // ±0.15 is a loose bound that still excludes staying at the start (1.0) and collapsing (0.0).
        using var network = new AFNetNetwork(Tiny(AFNetDepth.ResNet18));
        network.train();
        network.Temperature = 1.0;
        var navigation = network.NavigationParameters().ToList();
        foreach (var p in network.parameters())
            p.requires_grad_(false);
        foreach (var p in navigation)
            p.requires_grad_(true);
        using var optimizer = optim.Adam(navigation, 0.2);
        var ratios = new List<double>();
        for (int step = 0; step < 60; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            network.call(randn(new long[] { 2, 4, 3, 32, 32 }));
            var masks = network.LastMasks;
            ratios.Add(stack([.. masks.Select(m => m.mean())]).mean().item<float>());
            AFNetTrainer.RatioLoss(masks, 0.5, 0.5).backward();
            optimizer.step();
        }
        Assert.AreEqual(1.0, ratios[0], 1e-6, "all frames selected at the start");
        double final = ratios.TakeLast(20).Average();
        Assert.AreEqual(0.5, final, 0.15, $"ratio after training {final:F3}; trajectory {string.Join(" ", ratios.Select(r => r.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))}");
    }

    [TestMethod]
    public void RatioLoss_IsTheMeanSquaredGapTimesLambda()
    {
        var masks = new[] { tensor(new float[] { 1, 0, 1, 1 }).reshape(2, 2), tensor(new float[] { 0, 0, 1, 0 }).reshape(2, 2) };
        // means 0.75 and 0.25; target 0.5: ((0.25)² + (0.25)²) / 2 = 0.0625; × λ 0.5 = 0.03125.
        Assert.AreEqual(0.03125, AFNetTrainer.RatioLoss(masks, 0.5, 0.5).item<float>(), 1e-7);
    }

    [TestMethod]
    public void Schedules_FollowTheReferenceRecipe()
    {
        Assert.AreEqual(1.0, AFNetSchedules.TargetRatio(9, 0.4, 10, 20));
        Assert.AreEqual(0.8, AFNetSchedules.TargetRatio(10, 0.4, 10, 20), 1e-12);
        Assert.AreEqual(0.8, AFNetSchedules.TargetRatio(14, 0.4, 10, 20), 1e-12);
        Assert.AreEqual(0.6, AFNetSchedules.TargetRatio(15, 0.4, 10, 20), 1e-12);
        Assert.AreEqual(0.4, AFNetSchedules.TargetRatio(20, 0.4, 10, 20), 1e-12);
        Assert.AreEqual(1.0, AFNetSchedules.Temperature(0, 1, 0.01, 50), 1e-12);
        Assert.AreEqual(0.1, AFNetSchedules.Temperature(25, 1, 0.01, 50), 1e-12);
        Assert.AreEqual(0.01, AFNetSchedules.Temperature(50, 1, 0.01, 50), 1e-12);
        Assert.AreEqual(0.01, AFNetSchedules.Temperature(54.5, 1, 0.01, 50), 1e-12);
    }

    [TestMethod]
    public void ShortRunSchedules_RampTheTargetAndAnnealTheNoiseOverTheRun()
    {
        // Target: 1 at the start, a straight line to RT at the end of the ramp, RT after.
        Assert.AreEqual(1.0, AFNetSchedules.LinearTargetRatio(0, 0.25, 0, 0.5), 1e-12);
        Assert.AreEqual(0.625, AFNetSchedules.LinearTargetRatio(0.25, 0.25, 0, 0.5), 1e-12);
        Assert.AreEqual(0.25, AFNetSchedules.LinearTargetRatio(0.5, 0.25, 0, 0.5), 1e-12);
        Assert.AreEqual(0.25, AFNetSchedules.LinearTargetRatio(0.9, 0.25, 0, 0.5), 1e-12);
        Assert.AreEqual(1.0, AFNetSchedules.LinearTargetRatio(0.1, 0.5, 0.2, 0.6), 1e-12);
        // Noise: 1 until 50 %, 0 from 80 %.
        Assert.AreEqual(1.0, AFNetSchedules.NoiseScale(0.5, 0.5, 0.8), 1e-12);
        Assert.AreEqual(0.5, AFNetSchedules.NoiseScale(0.65, 0.5, 0.8), 1e-12);
        Assert.AreEqual(0.0, AFNetSchedules.NoiseScale(0.8, 0.5, 0.8), 1e-12);
        // A step where the ramp has no length.
        Assert.AreEqual(0.5, AFNetSchedules.LinearTargetRatio(0.3, 0.5, 0.3, 0.3), 1e-12);
    }

    [TestMethod]
    public void GumbelNoiseScale_ZeroGivesTheNoiseFreeArgmax_WithTheSameGradientForm()
    {
        // Margins of ±0.3: with full noise about 43 % of these decisions flip; with the noise scaled to 0 none does, so the
        // training-time decision is the one inference takes.
        var logits = tensor(new float[] { 0f, 0.3f, 0.3f, 0f }).reshape(2, 2).repeat(5000, 1).requires_grad_(true);
        var argmax = logits.argmax(1);
        var quiet = GumbelSoftmax.HardStraightThrough(logits, 1.0, noise: true, noiseScale: 0);
        Assert.IsTrue(quiet.argmax(1).eq(argmax).all().item<bool>(), "scale 0: the argmax of the logits");
        var noisy = GumbelSoftmax.HardStraightThrough(logits, 1.0, noise: true, noiseScale: 1);
        double flipped = noisy.argmax(1).ne(argmax).to(ScalarType.Float32).mean().item<float>();
        Assert.AreEqual(1 - (1 / (1 + Math.Exp(-0.3))), flipped, 0.02, "scale 1: the Gumbel-max distribution, P(flip) = σ(−0.3)");
        // The straight-through gradient is that of softmax(logits / τ): p(1 − p) = 0.2445 for a margin of 0.3.
        quiet.select(1, 1).sum().backward();
        double p = 1 / (1 + Math.Exp(-0.3));
        Assert.AreEqual(p * (1 - p), Math.Abs(logits.grad!.select(1, 1)[0].item<float>()), 1e-5);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => GumbelSoftmax.HardStraightThrough(logits, 1.0, noise: true, noiseScale: -1));
    }

    /// <summary>Forced masks for a tiny AF-ResNet-18 (3 navigation modules, T = 4, 2 clips): module m selects frames
    /// t with (t + m) even in clip 0 (2 frames) and frame m alone in clip 1.</summary>
    private static List<Tensor> ForcedMasks()
    {
        var masks = new List<Tensor>();
        for (int m = 0; m < 3; m++)
        {
            var values = new float[8];
            for (int t = 0; t < 4; t++)
            {
                values[t] = (t + m) % 2 == 0 ? 1 : 0;
                values[4 + t] = t == m ? 1 : 0;
            }
            masks.Add(tensor(values).reshape(2, 4));
        }
        return masks;
    }

    [TestMethod]
    public void ForcedMask_SkippedFramesAreNeverComputed_AndSkippingEqualsMasking()
    {
        using var network = new AFNetNetwork(Tiny(AFNetDepth.ResNet18));
        network.eval();
        var focalConvRows = new List<long>();
        var hooks = network.named_modules()
            .Where(m => m.name.Contains("refine_module", StringComparison.Ordinal) && m.module is Conv2d && !m.name.Contains("downsample", StringComparison.Ordinal))
            .Select(m => ((Conv2d)m.module).register_forward_hook((module, input, output) =>
            {
                focalConvRows.Add(input.shape[0]);
                return output;
            }))
            .ToList();
        Assert.AreEqual(2 * 3, hooks.Count, "two convs per focal basic block, three focal blocks");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 2, 4, 3, 32, 32 });
        var masks = ForcedMasks();

        var skipped = network.Run(clips, new AFNetRunOptions { ForcedMasks = masks, Trace = true, SkipFrames = true });
        // Selected frames per module over the batch: 2 + 1 = 3 of 8; every focal conv saw exactly those 3 rows plus one zero
        // frame (in the same call), whose response (the reference's branch on a masked-out input) every skipped frame shares.
        CollectionAssert.AreEqual(Enumerable.Repeat(4L, 6).ToList(), focalConvRows);
        CollectionAssert.AreEqual(new long[] { 3, 3, 3 }, skipped.Trace!.FocalRowsComputed.ToArray());
        CollectionAssert.AreEqual(new long[] { 2, 1 }, skipped.Trace.SelectedFrames[0]);
        CollectionAssert.AreEqual(new[] { 0.5f, 0.25f }, skipped.SelectedFrameRatio.data<float>().ToArray());

        focalConvRows.Clear();
        var masked = network.Run(clips, new AFNetRunOptions { ForcedMasks = masks, SkipFrames = false });
        CollectionAssert.AreEqual(Enumerable.Repeat(8L, 6).ToList(), focalConvRows, "the masked (training) path computes all 8 rows");
        var difference = (skipped.Logits - masked.Logits).abs().max().item<float>();
        Assert.IsTrue(difference < 1e-5f, $"skipping and masking differ by {difference}");
        foreach (var hook in hooks) hook.remove();
    }

    [TestMethod]
    [DataRow(AFNetDepth.ResNet18)]
    [DataRow(AFNetDepth.ResNet50)]
    public void RandomMasks_SkippingEqualsMasking_AndComputesOnlyTheSelectedRows(AFNetDepth depth)
    {
        // Issue 19: the inference path gathers the selected frames of all clips into one tensor, skips the gather and scatter
        // when every frame is selected, and adds in place where it made the tensor. Against the masked (reference) path, with
        // random masks per module and clip plus one module that selects every frame and one that selects none.
        using var network = new AFNetNetwork(Tiny(depth));
        network.eval();
        int modules = network.Spec.NavigationCount;
        var focalConvRows = new List<long>();
        var hooks = network.named_modules()
            .Where(m => m.name.Contains("refine_module", StringComparison.Ordinal) && m.module is Conv2d && !m.name.Contains("downsample", StringComparison.Ordinal)
                && m.name.EndsWith("conv1", StringComparison.Ordinal))
            .Select(m => ((Conv2d)m.module).register_forward_hook((module, input, output) =>
            {
                focalConvRows.Add(input.shape[0]);
                return output;
            }))
            .ToList();
        Assert.AreEqual(modules, hooks.Count);
        using var scope = NewDisposeScope();
        var clips = randn(new long[] { 3, 4, 3, 32, 32 });
        var copy = clips.clone();
        var generator = new Random(5);
        var masks = Enumerable.Range(0, modules).Select(m => m switch
        {
            0 => ones(3, 4),
            1 => zeros(3, 4),
            _ => tensor(Enumerable.Range(0, 12).Select(_ => generator.Next(2) == 0 ? 0f : 1f).ToArray()).reshape(3, 4),
        }).ToList();
        long[] selected = [.. masks.Select(m => (long)m.sum().item<float>())];

        Tensor masked, skipped, skippedWithGrad;
        using (no_grad())
        {
            masked = network.Run(clips, new AFNetRunOptions { ForcedMasks = masks, SkipFrames = false }).Logits;
            focalConvRows.Clear();
            var output = network.Run(clips, new AFNetRunOptions { ForcedMasks = masks, SkipFrames = true, Trace = true });
            skipped = output.Logits;
            CollectionAssert.AreEqual(selected, output.Trace!.FocalRowsComputed.ToArray(), "the trace counts the selected rows");
        }
        // Every frame selected: all 12 rows, no zero frame; none: the zero frame alone; otherwise the selected rows + the zero frame.
        CollectionAssert.AreEqual(selected.Select(k => k == 12 ? 12 : k + 1).ToArray(), focalConvRows.ToArray());
        skippedWithGrad = network.Run(clips, new AFNetRunOptions { ForcedMasks = masks, SkipFrames = true }).Logits;

        float difference = (skipped - masked).abs().max().item<float>();
        Assert.IsTrue(difference <= 1e-5f, $"skipping and masking differ by {difference}");
        Assert.AreEqual(0f, (skippedWithGrad - skipped).abs().max().item<float>(), 1e-6f, "with and without autograd (in-place adds only without)");
        Assert.AreEqual(0f, (clips - copy).abs().max().item<float>(), "the input is not modified");
        foreach (var hook in hooks) hook.remove();
    }

    [TestMethod]
    public void ExecutedMacs_EqualAnIndependentCountOverTheExecutedFrames()
    {
        using var network = new AFNetNetwork(Tiny(AFNetDepth.ResNet18));
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var masks = ForcedMasks();
        var output = network.Run(randn(new long[] { 2, 4, 3, 32, 32 }), new AFNetRunOptions { ForcedMasks = masks, Trace = true });
        long[][] selected = [.. Enumerable.Range(0, 3).Select(m => masks[m].sum(1).to(ScalarType.Int64).data<long>().ToArray())];
        for (int clip = 0; clip < 2; clip++)
            Assert.AreEqual(IndependentMacs(network, clip, selected), output.Trace!.MultiplyAccumulates[clip], $"clip {clip}");
        Assert.IsTrue(output.Trace!.MultiplyAccumulates[0] > output.Trace.MultiplyAccumulates[1], "clip 0 computes more focal frames");

        // All frames selected costs more than half selected, which costs more than none.
        long Cost(double ratio) => network.Run(randn(new long[] { 1, 4, 3, 32, 32 }),
            new AFNetRunOptions { ForcedMasks = network.UniformMasks(1, ratio), Trace = true }).Trace!.MultiplyAccumulates[0];
        long all = Cost(1), half = Cost(0.5), none = Cost(0);
        Assert.AreEqual(all - none, 2 * (half - none), "focal cost is linear in the selected frames");
        Assert.IsTrue(none > 0 && half > none);
    }

    /// <summary>MACs of one clip of the tiny AF-ResNet-18 (T = 4, 32×32) from its weights and the resolution each layer
    /// runs at (derived by hand from the layout), with focal convs counted for the selected frames only.</summary>
    private static long IndependentMacs(AFNetNetwork network, int clip, long[][] selected)
    {
        const int T = 4;
        // Output side of each layer: stem 16; stage inputs 8, 4, 2; ample = input / 2; layer1/2 fusion halves, layer3 keeps.
        int[] input = [8, 4, 2];
        long total = 0;
        foreach (var (key, weight) in network.state_dict().Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal) && kv.Value.dim() is 2 or 4))
        {
            if (key.Contains(".list_gen.", StringComparison.Ordinal))
                continue;   // forced masks replace the navigation modules: they do not run
            long numel = weight.numel();
            string[] parts = key.Split('.');
            long side, frames = T;
            if (key == "conv1.weight") side = 16;
            else if (key == "fc.weight") side = 1;
            else if (parts[0] == "layer4") side = 1;
            else
            {
                int s = parts[0][^1] - '1';
                string part = parts[1];
                side = part switch
                {
                    "list_gen" => 1,
                    "base_module" or "base_transform" => input[s] / 2,
                    "refine_module" => input[s],
                    "att_gen" => 1,
                    _ => s < 2 ? input[s] / 2 : input[s],   // fusion
                };
                if (part == "list_gen" && parts[3] == "conv_gs") frames = 1;
                if (part == "refine_module" && parts[3] != "downsample") frames = selected[s][clip];
            }
            total += numel * side * side * frames;
        }
        return total;
    }

    [TestMethod]
    [DataRow(4, 4, 8, 8)]   // exact 2× upsampling: broadcast view
    [DataRow(4, 4, 7, 7)]   // odd focal size (stage 3 at 112²): interpolation
    [DataRow(3, 5, 3, 5)]   // same size (no upsampling)
    public void Fusion_EqualsThePlainFormula(int ah, int aw, int h, int w)
    {
        // y = ReLU(a·up(x_a) + (1 − a)·x_f), a = att_gen(up(x_a) + x_f), up = nearest: the allocation-saving Fuse must compute it.
        using var stage = new MLNetVideo.Trainers.AFNet.Modules.AFModule(Tiny(AFNetDepth.ResNet18), 16, 32, 2, 2);
        stage.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        // The reference init N(0, 0.01) leaves every attention weight at ≈ 0.5, where swapping a and 1 − a would go unnoticed:
        // scale the FCs up so the weights spread over (0, 1).
        foreach (var p in stage.Attention.parameters())
            p.mul_(300);
        var ample = randn(new long[] { 8, 32, ah, aw });
        var focal = randn(new long[] { 8, 32, h, w });
        var up = nn.functional.interpolate(ample, size: [h, w], mode: InterpolationMode.Nearest);
        var a = stage.Attention.forward(up + focal);
        var expected = nn.functional.relu((a * up) + ((1 - a) * focal));
        var spread = (a - 0.5).abs().mean().item<float>();
        Assert.IsTrue(spread > 0.1f, $"attention weights too close to 0.5 (mean |a − 0.5| = {spread})");
        var actual = stage.Fuse(ample, focal, null);
        CollectionAssert.AreEqual(focal.shape, actual.shape);
        var difference = (actual - expected).abs().max().item<float>();
        Assert.IsTrue(difference < 1e-5f, $"fusion differs by {difference}");
    }
}
