using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Transforms.Decoding;
using TorchSharp;

namespace MLNetVideo.Tests.Trainers.AFNet;

/// <summary>The AFNet trainer from the public API: learning the synthetic motion set, per-epoch and per-row selected-frame
/// ratios, persistence, options.</summary>
[TestClass]
[DoNotParallelize]
public sealed class AFNetTrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void Seed() => torch.manual_seed(11);

    private static AFNetTrainer.Options TinyOptions(int epochs, List<EpochMetrics>? epochLog = null) => new()
    {
        Depth = AFNetDepth.ResNet18,
        WidthMultiplier = 0.25,
        // The synthetic set is [3, T, H, W]; the trainer converts to the network's [T, 3, H, W].
        ClipLayout = ClipLayout.Cthw,
        Epochs = epochs,
        BatchSize = 8,
        Optimizer = VideoOptimizer.AdamW,
        LearningRate = 3e-3,
        WarmupEpochs = 0.5,
        DropoutRate = 0,
        TargetRatio = 0.5,
        RatioScheduleBeginEpoch = 1,
        RatioScheduleEndEpoch = 3,
        Device = "cpu",
        Seed = 3,
        MetricsCallback = epochLog is null ? null : epochLog.Add,
    };

    [TestMethod, TestCategory(TestCategories.Learning), Timeout(30_000, CooperativeCancellation = true)]   // about 6 s idle
    public void TinyAFNet_LearnsMotionDirection_ReportsRatiosPerEpochAndPerRow()
    {
        var mlContext = new MLContext(seed: 5);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(64, seed: 1, frames: 8));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(32, seed: 2, frames: 8));
        var epochs = new List<EpochMetrics>();
        var options = TinyOptions(8, epochs);
        options.Schedule = AFNetSchedule.OfficialRecipe;
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(options).Fit(train);
        var scored = model.Transform(test);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"test accuracy = {metrics.MicroAccuracy:F3}");

        Assert.AreEqual(8, epochs.Count);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss did not fall");
        Assert.IsTrue(metrics.MicroAccuracy >= 0.6, $"test accuracy {metrics.MicroAccuracy:F3} (chance 0.25)");

        // Per epoch: the reference curriculum's target (1 in epoch 0, two steps, 0.5 from epoch 3), the decaying temperature and
        // the measured ratio (all frames at the start). With the reference recipe the gates (bias gap 9 at init) do not move
        // in 64 steps (docs/components/AFNet.md, diagnosis), so no drop of the ratio is asserted here; the default schedule's
        // test below asserts it.
        CollectionAssert.AreEqual(new[] { 1.0, 1.0 - (0.5 / 3), 1.0 - (0.5 / 3 * 2), 0.5, 0.5 }.Select(r => Math.Round(r, 12)).ToArray(),
            epochs.Take(5).Select(e => Math.Round(e.FamilyMetrics["TargetRatio"], 12)).ToArray());
        Assert.AreEqual(1.0, epochs[0].FamilyMetrics["SelectedFrameRatio"], 0.05, "all frames selected at the start");
        Assert.IsTrue(epochs.All(e => e.FamilyMetrics["SelectedFrameRatio"] is >= 0 and <= 1));
        Assert.IsTrue(epochs[^1].FamilyMetrics["Temperature"] < epochs[0].FamilyMetrics["Temperature"]);
        StringAssert.Contains(epochs[^1].ToString(), "SelectedFrameRatio");

        // Per row: the column equals the scoring API's ratio, and is a whole number of frame decisions.
        var ratios = scored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).ToArray();
        var clips = scored.GetColumn<VBuffer<float>>("Frames").Select(v => v.DenseValues().ToArray()).ToArray();
        int decisions = model.Spec.Frames * model.Spec.NavigationCount;
        for (int i = 0; i < 4; i++)
        {
            var prediction = model.Predict(clips[i]);
            Assert.AreEqual(prediction.SelectedFrameRatio, ratios[i], 1e-6, $"row {i}");
            Assert.AreEqual(Math.Round(ratios[i] * decisions), ratios[i] * decisions, 1e-3, $"row {i}: {ratios[i]}");
            Assert.IsTrue(prediction.MultiplyAccumulates > 0);
        }
    }

    /// <summary>The built-in sample set (left/right/up/down, 16 frames of 48², as <c>mlnetvideo sample-data</c> writes it) as
    /// the CLI feeds it to a model: 8 frames of 32²; 48 training and 64 test clips.</summary>
    private static (IDataView Train, IDataView Test) SampleSet(MLContext mlContext)
    {
        IDataView Load(int perClass, int seed)
        {
            var rows = MLNetVideo.Transforms.SampleData.SyntheticClipSets.SampleSet(perClass, seed)
                .Select(c => new ClipRow { Frames = c.Clip, Label = MLNetVideo.Transforms.SampleData.SyntheticClipSets.SampleClasses[c.Label] });
            return SyntheticClips.LoadKeyed(mlContext, rows, frames: 8, size: 32);
        }
        return (Load(12, 7), Load(16, 8));
    }

    /// <summary>Everything at its default except the network size (AF-ResNet-18 ×0.25), the clip layout of the data and the seed.</summary>
    private static AFNetTrainer.Options DefaultOptions(double targetRatio, List<EpochMetrics> epochLog) => new()
    {
        Depth = AFNetDepth.ResNet18,
        WidthMultiplier = 0.25,
        ClipLayout = ClipLayout.Cthw,
        TargetRatio = targetRatio,
        Device = "cpu",
        Seed = 1,
        MetricsCallback = epochLog.Add,
    };

    [TestMethod, TestCategory(TestCategories.Learning), Timeout(30_000, CooperativeCancellation = true)]   // about 5 s idle
    [DataRow(0.25)]
    [DataRow(0.75)]
    public void DefaultOptions_LearnToSelectTheTargetRatioAtInference_OnTheSampleSet(double targetRatio)
    {
        // Issue 19: with the reference recipe the selected ratio stays at 1.0 in a run this short (60 iterations); the default
        // short-run schedule must bring the ratio the trained model selects at inference (noise-free navigation, real
        // skipping) within ±0.1 of the target. Measured with this seed: 0.240 for RT 0.25 and 0.777 for RT 0.75
        // (AFNetBenchmarks learn; docs/components/AFNet.md).
        var mlContext = new MLContext(seed: 5);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        var (train, test) = SampleSet(mlContext);
        var epochs = new List<EpochMetrics>();
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(DefaultOptions(targetRatio, epochs)).Fit(train);
        var scored = model.Transform(test);
        var ratios = scored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).ToArray();
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"mean selected ratio at inference = {ratios.Average():F3} (rows {ratios.Min():F3} … {ratios.Max():F3})");

        Assert.AreEqual(10, epochs.Count, "the default run length");
        Assert.AreEqual(targetRatio, ratios.Average(), 0.1, "the inference ratio reaches the target");
        Assert.IsTrue(epochs[0].FamilyMetrics["SelectedFrameRatio"] > targetRatio + 0.1, "it starts from (nearly) all frames");
        Assert.AreEqual(targetRatio, epochs[^1].FamilyMetrics["TargetRatio"], 1e-12);
        Assert.AreEqual(0.0, epochs[^1].FamilyMetrics["GumbelNoise"], "the last epochs train the noise-free decisions used at inference");
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss fell");
    }

    [TestMethod]
    public void ScoredRows_SelectedFrameRatioAndExecutedMacs_AgreeWithTheNavigationMasks()
    {
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(24, seed: 1, frames: 8));
        var options = DefaultOptions(0.5, []);
        options.Epochs = 4;
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(options).Fit(data);
        var scored = model.Transform(data);
        var column = scored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).ToArray();
        var clips = scored.GetColumn<VBuffer<float>>("Frames").Take(8).Select(v => v.DenseValues().ToArray()).ToArray();
        var network = (AFNetNetwork)model.Network;
        int frames = model.Spec.Frames, modules = model.Spec.NavigationCount;
        // What the navigation modules themselves cost per clip (they run on every frame; conv_gs once per clip).
        long navigationMacs = network.state_dict().Where(kv => kv.Key.Contains(".list_gen.", StringComparison.Ordinal) && kv.Key.EndsWith("conv_pool.weight", StringComparison.Ordinal)).Sum(kv => kv.Value.numel() * frames)
            + network.state_dict().Where(kv => kv.Key.Contains(".list_gen.", StringComparison.Ordinal) && kv.Key.EndsWith("conv_gs.weight", StringComparison.Ordinal)).Sum(kv => kv.Value.numel());

        using var noGrad = torch.no_grad();
        long Forced(IReadOnlyList<torch.Tensor> masks, torch.Tensor x)
            => network.Run(x, new AFNetRunOptions { ForcedMasks = masks, Trace = true }).Trace!.MultiplyAccumulates[0];
        var probe = model.Info.Clip.ToTensor(clips[0], 1, model.Info.NetworkLayout, torch.CPU);
        var ones = network.UniformMasks(1, 1.0);
        long allFrames = Forced(ones, probe);
        // Per-frame cost of each focal block: all frames minus all but one frame of that module.
        long[] perFrame = [.. Enumerable.Range(0, modules).Select(m =>
        {
            var masks = ones.Select((mask, i) => i == m ? mask.clone().index_fill_(1, torch.tensor(new long[] { 0 }), 0) : mask).ToList();
            return allFrames - Forced(masks, probe);
        })];
        Assert.IsTrue(perFrame.All(c => c > 0), "every focal block costs something per frame");

        var seen = new HashSet<double>();
        for (int row = 0; row < clips.Length; row++)
        {
            using var scope = torch.NewDisposeScope();
            var x = model.Info.Clip.ToTensor(clips[row], 1, model.Info.NetworkLayout, torch.CPU);
            var output = network.Run(x, new AFNetRunOptions { Trace = true });
            long[] selected = [.. output.Masks.Select(m => (long)m.sum().item<float>())];
            double fromMasks = selected.Average() / frames;
            var prediction = model.Predict(clips[row]);
            seen.Add(fromMasks);

            Assert.AreEqual(fromMasks, column[row], 1e-6, $"row {row}: the column is the mean selected fraction of the masks");
            Assert.AreEqual(fromMasks, prediction.SelectedFrameRatio, 1e-6, $"row {row}");
            CollectionAssert.AreEqual(selected, output.Trace!.SelectedFrames.Select(s => s[0]).ToArray(), $"row {row}: the trace counts the masks");
            CollectionAssert.AreEqual(selected, output.Trace.FocalRowsComputed.ToArray(), $"row {row}: each focal block computed exactly its selected frames");
            long expected = navigationMacs + allFrames - Enumerable.Range(0, modules).Sum(m => (frames - selected[m]) * perFrame[m]);
            Assert.AreEqual(expected, (long)prediction.MultiplyAccumulates, $"row {row}: executed MACs = all frames − the skipped frames' focal cost + navigation");
        }
        TestContext.WriteLine($"ratios seen: {string.Join(", ", seen.Order())}; column mean {column.Average():F3}");
    }

    [TestMethod]
    public void SavedZip_LoadsAndPredictsTheSame()
    {
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 4, frames: 4), frames: 4);
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(TinyOptions(1)).Fit(data);
        var scored = model.Transform(data);
        var before = Scores(scored);
        var ratiosBefore = scored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).ToArray();

        using var folder = new TempFolder();
        string path = folder.File("afnet.zip");
        mlContext.Model.Save(model, data.Schema, path);
        var loaded = new MLContext(seed: 9).Model.Load(path, out _);
        try
        {
            Assert.IsInstanceOfType<VideoClassifierTransformer<AFNetSpec>>(loaded);
            var afnet = (VideoClassifierTransformer<AFNetSpec>)loaded;
            Assert.AreEqual(4, afnet.Spec.Frames);
            Assert.AreEqual(AFNetDepth.ResNet18, afnet.Spec.Depth);
            var rescored = loaded.Transform(data);
            var after = Scores(rescored);
            Assert.AreEqual(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++)
                CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
            CollectionAssert.AreEqual(ratiosBefore, rescored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).ToArray());
            Assert.IsTrue(before.All(r => Math.Abs(r.Sum() - 1f) < 1e-4f), "scores are probabilities");
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    private static float[][] Scores(IDataView scored)
        => [.. scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray())];

    [TestMethod]
    public void OutputSchema_HasScorePredictedLabelAndSelectedFrameRatio()
    {
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, seed: 4, frames: 8));
        var shape = mlContext.MulticlassClassification.Trainers.AFNet(TinyOptions(1)).GetOutputSchema(
            MLNetVideo.Interop.SchemaShapes.Annotations([.. data.Schema.Where(c => !c.IsHidden).Select(c => MLNetVideo.Interop.SchemaShapes.Column(c.Name, c.Type))]));
        var ratio = shape.Single(c => c.Name == AFNetScoring.SelectedFrameRatioColumnName);
        Assert.AreEqual(NumberDataViewType.Single, ratio.ItemType);
        Assert.IsTrue(shape.Any(c => c.Name == "Score") && shape.Any(c => c.Name == "PredictedLabel"));
    }

    [TestMethod]
    public void Options_InvalidValues_FailAtConstruction()
    {
        var ratio = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new MLContext().MulticlassClassification.Trainers.AFNet(targetRatio: 0));
        StringAssert.Contains(ratio.Message, "TargetRatio must lie in (0, 1]");
        var alpha = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new MLContext().MulticlassClassification.Trainers.AFNet(new AFNetTrainer.Options { Alpha = 3 }));
        StringAssert.Contains(alpha.Message, "Alpha must be 1 or 2");
        var schedule = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new MLContext().MulticlassClassification.Trainers.AFNet(new AFNetTrainer.Options { RatioScheduleBeginEpoch = 5, RatioScheduleEndEpoch = 2 }));
        StringAssert.Contains(schedule.Message, "RatioScheduleEndEpoch");
    }

    [TestMethod]
    public void Options_DefaultToTheShortRunSchedule_AndKeepTheReferenceRecipeAsAnOption()
    {
        var options = new AFNetTrainer.Options();
        Assert.AreEqual(ClipLayout.Tchw, options.ClipLayout);
        Assert.AreEqual(AFNetDepth.ResNet50, options.Depth);
        Assert.AreEqual(2, options.Alpha);
        Assert.AreEqual(2, options.PatchGroups);
        Assert.AreEqual(5e-4, options.WeightDecay);
        Assert.AreEqual(20.0, options.GradientClipNorm);
        Assert.AreEqual(AFNetSchedule.ShortRun, options.Schedule);
        Assert.AreEqual(16.0, options.RatioWeight);
        Assert.AreEqual(100.0, options.NavigationScale);
        Assert.AreEqual((0.0, 3.0), options.GateBias);
        Assert.AreEqual(1.0, options.FinalTemperature);
        Assert.AreEqual((0.0, 0.5), options.RatioRamp);
        // AdamW (the CLI's optimizer) takes a smaller navigation multiplier: its steps do not shrink with the gradient.
        options.Optimizer = VideoOptimizer.AdamW;
        Assert.AreEqual(30.0, options.NavigationScale);
        options.Optimizer = VideoOptimizer.SgdMomentum;

        // The reference recipe: λ 0.5, navigation lr ×10, gate bias [1, 10], τ 1 → 0.01; 55 epochs reproduce its schedule
        // exactly (rt_begin 10, rt_end 20, t_end 50).
        options.Schedule = AFNetSchedule.OfficialRecipe;
        options.Epochs = 55;
        Assert.AreEqual(0.5, options.RatioWeight);
        Assert.AreEqual(10.0, options.NavigationScale);
        Assert.AreEqual((1.0, 10.0), options.GateBias);
        Assert.AreEqual(0.01, options.FinalTemperature);
        Assert.AreEqual(10, options.RatioBegin);
        Assert.AreEqual(20, options.RatioEnd);
        Assert.AreEqual(50.0, options.TemperatureEpochs, 1e-12);

        // Values set by the user win over either schedule.
        options.RatioLossWeight = 2;
        options.NavigationLearningRateScale = 3;
        options.InitialGateMargin = 5;
        options.TemperatureEnd = 0.5;
        Assert.AreEqual((2.0, 3.0, (0.0, 5.0), 0.5), (options.RatioWeight, options.NavigationScale, options.GateBias, options.FinalTemperature));
    }
}
