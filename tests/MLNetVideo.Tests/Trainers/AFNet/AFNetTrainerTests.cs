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

    [TestMethod]
    public void TinyAFNet_LearnsMotionDirection_ReportsRatiosPerEpochAndPerRow()
    {
        var mlContext = new MLContext(seed: 5);
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(64, seed: 1, frames: 8));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(32, seed: 2, frames: 8));
        var epochs = new List<EpochMetrics>();
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(TinyOptions(8, epochs)).Fit(train);
        var scored = model.Transform(test);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"test accuracy = {metrics.MicroAccuracy:F3}");

        Assert.AreEqual(8, epochs.Count);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss did not fall");
        Assert.IsTrue(metrics.MicroAccuracy >= 0.6, $"test accuracy {metrics.MicroAccuracy:F3} (chance 0.25)");

        // Per epoch: the curriculum's target (1 in epoch 0, two steps, 0.5 from epoch 3), the decaying temperature and the
        // measured ratio (all frames at the start). At lr 3e-3 for 64 steps the gates (bias gap 9 at init) barely move, so
        // no drop of the ratio is asserted here; RatioLoss_DrivesTheSelectedRatio… covers that on the network.
        CollectionAssert.AreEqual(new[] { 1.0, 1.0 - (0.5 / 3), 1.0 - (0.5 / 3 * 2), 0.5, 0.5 }.Select(r => Math.Round(r, 12)).ToArray(),
            epochs.Take(5).Select(e => Math.Round(e.FamilyMetrics["TargetRatio"], 12)).ToArray());
        Assert.AreEqual(1.0, epochs[0].FamilyMetrics["SelectedFrameRatio"], 0.05, "all frames selected at the start");
        Assert.IsTrue(epochs.All(e => e.FamilyMetrics["SelectedFrameRatio"] is >= 0 and <= 1));
        Assert.IsTrue(epochs[^1].FamilyMetrics["Temperature"] < epochs[0].FamilyMetrics["Temperature"]);
        StringAssert.Contains(epochs[^1].ToString(), "SelectedFrameRatio");

        // Per row: the column equals the scoring API's ratio, and is a whole number of frame decisions.
        var ratios = scored.GetColumn<float>(AFNetTransformer.SelectedFrameRatioColumnName).ToArray();
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

    [TestMethod]
    public void NavigationLearningRateScale_LetsTheRatioLossMakeATrainedModelSkipFrames_ThroughThePublicApi()
    {
        var mlContext = new MLContext(seed: 5);
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(64, seed: 1, frames: 8));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(32, seed: 2, frames: 8));
        var epochs = new List<EpochMetrics>();
        // With the reference settings the gates (logit gap 9 at init) do not move in 64 steps (see the test above); larger
        // steps for the navigation modules and a temperature that stays near 1 (so the soft Gumbel-Softmax still passes
        // gradient) let the ratio loss pull the selected ratio down from 1 while the classifier learns.
        var options = TinyOptions(8, epochs);
        options.NavigationLearningRateScale = 300;
        options.TemperatureDecayEpochs = 100;
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(options).Fit(train);
        var scored = model.Transform(test);
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        var ratios = scored.GetColumn<float>(AFNetTransformer.SelectedFrameRatioColumnName).ToArray();
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"test accuracy = {metrics.MicroAccuracy:F3}, mean selected ratio at inference = {ratios.Average():F3}");

        double first = epochs[0].FamilyMetrics["SelectedFrameRatio"], last = epochs[^1].FamilyMetrics["SelectedFrameRatio"];
        Assert.IsTrue(first > 0.9, $"almost all frames selected in the first epoch ({first:F3})");
        Assert.IsTrue(last < 0.85 && last < first - 0.1, $"measured ratio {first:F3} → {last:F3}; target 0.5");
        Assert.IsTrue(ratios.Average() < 0.85, $"mean selected ratio at inference {ratios.Average():F3}: skipped frames are not computed");
        Assert.IsTrue(metrics.MicroAccuracy >= 0.6, $"test accuracy {metrics.MicroAccuracy:F3} (chance 0.25)");

        // The savings are real: rows whose navigation selected fewer frames executed fewer multiply-accumulates.
        var clips = scored.GetColumn<VBuffer<float>>("Frames").Take(12).Select(v => v.DenseValues().ToArray()).ToArray();
        var rows = clips.Select(c => model.Predict(c)).ToArray();
        TestContext.WriteLine(string.Join("; ", rows.Select(r => $"{r.SelectedFrameRatio:F3} → {r.MultiplyAccumulates / 1e6:F2} MMACs")));
        // (Modules at different depths cost differently per frame, so only the extremes are compared.)
        var fewest = rows.MinBy(r => r.SelectedFrameRatio)!;
        var most = rows.MaxBy(r => r.SelectedFrameRatio)!;
        Assert.IsTrue(fewest.SelectedFrameRatio < most.SelectedFrameRatio, "the rows should differ in the frames they select");
        Assert.IsTrue(fewest.MultiplyAccumulates < most.MultiplyAccumulates,
            $"ratio {fewest.SelectedFrameRatio:F3} cost {fewest.MultiplyAccumulates}, ratio {most.SelectedFrameRatio:F3} cost {most.MultiplyAccumulates}");
    }

    [TestMethod]
    public void SavedZip_LoadsAndPredictsTheSame()
    {
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 4, frames: 4), frames: 4);
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(TinyOptions(1)).Fit(data);
        var scored = model.Transform(data);
        var before = Scores(scored);
        var ratiosBefore = scored.GetColumn<float>(AFNetTransformer.SelectedFrameRatioColumnName).ToArray();

        using var folder = new TempFolder();
        string path = folder.File("afnet.zip");
        mlContext.Model.Save(model, data.Schema, path);
        var loaded = new MLContext(seed: 9).Model.Load(path, out _);
        try
        {
            Assert.IsInstanceOfType<AFNetTransformer>(loaded);
            var afnet = (AFNetTransformer)loaded;
            Assert.AreEqual(4, afnet.Spec.Frames);
            Assert.AreEqual(AFNetDepth.ResNet18, afnet.Spec.Depth);
            var rescored = loaded.Transform(data);
            var after = Scores(rescored);
            Assert.AreEqual(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++)
                CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
            CollectionAssert.AreEqual(ratiosBefore, rescored.GetColumn<float>(AFNetTransformer.SelectedFrameRatioColumnName).ToArray());
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
        var ratio = shape.Single(c => c.Name == AFNetTransformer.SelectedFrameRatioColumnName);
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
    public void Options_DefaultToTheReferenceRecipe()
    {
        var options = new AFNetTrainer.Options();
        Assert.AreEqual(ClipLayout.Tchw, options.ClipLayout);
        Assert.AreEqual(AFNetDepth.ResNet50, options.Depth);
        Assert.AreEqual(2, options.Alpha);
        Assert.AreEqual(2, options.PatchGroups);
        Assert.AreEqual(0.5, options.RatioLossWeight);
        Assert.AreEqual(5e-4, options.WeightDecay);
        Assert.AreEqual(20.0, options.GradientClipNorm);
        // 55 epochs reproduce the reference schedule exactly (rt_begin 10, rt_end 20, t_end 50).
        options.Epochs = 55;
        Assert.AreEqual(10, options.RatioBegin);
        Assert.AreEqual(20, options.RatioEnd);
        Assert.AreEqual(50.0, options.TemperatureEpochs, 1e-12);
    }
}
