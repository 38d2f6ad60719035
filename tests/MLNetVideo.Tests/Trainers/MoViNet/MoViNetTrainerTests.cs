using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using TorchSharp;
using static TorchSharp.torch;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Trainers.MoViNet;

/// <summary>The public API: training, evaluation, zip round trip and streaming from a loaded model.</summary>
[TestClass]
[DoNotParallelize]
public sealed class MoViNetTrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void Seed() => manual_seed(11);

    private static MoViNetTrainer.Options TinyOptions(MoViNetVariant variant, MoViNetMode mode, int epochs, List<EpochMetrics>? metrics = null) => new()
    {
        Variant = variant,
        Mode = mode,
        WidthMultiplier = 0.25,
        ClassifierHiddenChannels = 64,
        Epochs = epochs,
        BatchSize = 8,
        Optimizer = VideoOptimizer.AdamW,
        LearningRate = 3e-3,
        WarmupEpochs = 0.5,
        WeightDecay = 1e-4,
        DropoutRate = 0,
        Device = "cpu",
        Seed = 3,
        MetricsCallback = metrics is null ? null : metrics.Add,
    };

    [TestMethod, TestCategory(TestCategories.Learning), Timeout(60_000, CooperativeCancellation = true)]   // about 14 s idle
    public void TinyStreamA0_LearnsMotion()
    {
        var mlContext = new MLContext(seed: 5);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(96, seed: 1));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(32, seed: 2));
        var epochs = new List<EpochMetrics>();
        // The smallest run that generalises (measured: 0.91 test accuracy; 64 or 80 clips, or fewer epochs, stay below 0.7).
        var options = TinyOptions(MoViNetVariant.A0, MoViNetMode.Stream, 10, epochs);
        options.LearningRate = 1e-2;
        using var model = mlContext.MulticlassClassification.Trainers.MoViNet(options).Fit(train);
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"test accuracy = {metrics.MicroAccuracy:F3}");
        Assert.AreEqual(10, epochs.Count);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss did not fall");
        Assert.IsTrue(metrics.MicroAccuracy >= 0.7, $"test accuracy {metrics.MicroAccuracy:F3} (chance 0.25)");
    }

    [TestMethod]
    public void TinyStreamA0_SavesLoads_AndStreamsTheSameScoresFromTheLoadedZip()
    {
        var mlContext = new MLContext(seed: 5);
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 1));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, seed: 2));
        using var model = mlContext.MulticlassClassification.Trainers.MoViNet(TinyOptions(MoViNetVariant.A0, MoViNetMode.Stream, 1)).Fit(train);

        string path = Path.Combine(Path.GetTempPath(), $"movinet-{Guid.NewGuid():N}.zip");
        try
        {
            mlContext.Model.Save(model, train.Schema, path);
            var loaded = mlContext.Model.Load(path, out _);
            using var movinet = loaded.FindMoViNet();
            Assert.IsTrue(movinet.CanStream);
            Assert.AreEqual(MoViNetVariant.A0, movinet.Spec.Variant);
            var scores = mlContext.Data.CreateEnumerable<ScoreRow>(loaded.Transform(test), reuseRowObject: false).Take(4).ToArray();
            var rows = SyntheticClips.Motion(4, seed: 2).ToArray();
            using var stream = loaded.CreateStream();
            Assert.AreEqual(new MoViNetFrameFormat { Height = 32, Width = 32 }, stream.InputFormat, "the trained input size, RGB in [0, 1]");
            for (int r = 0; r < rows.Length; r++)
            {
                stream.Reset();
                var predictions = stream.StreamFrames(Frames(rows[r].Frames, 8, 32), 32, 32, framesPerPush: r + 1).ToArray();
                Assert.AreEqual((8 + r) / (r + 1), predictions.Length);
                Assert.AreEqual(7L, predictions[^1].FrameIndex);
                var streamed = predictions[^1].Probabilities;
                for (int c = 0; c < 4; c++)
                    Assert.AreEqual(scores[r].Score[c], streamed[c], 1e-4, $"row {r} class {c}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    [DataRow(MoViNetVariant.A0, MoViNetMode.Base, false)]
    [DataRow(MoViNetVariant.A1, MoViNetMode.Base, false)]
    [DataRow(MoViNetVariant.A1, MoViNetMode.Stream, false)]
    [DataRow(MoViNetVariant.A2, MoViNetMode.Base, false)]
    [DataRow(MoViNetVariant.A2, MoViNetMode.Stream, true)]
    public void EveryVariantAndMode_TrainsAndEvaluatesThroughTheCatalog(MoViNetVariant variant, MoViNetMode mode, bool ensemble)
    {
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 1, frames: 4), frames: 4);
        var options = TinyOptions(variant, mode, 1);
        options.TemporalEnsemble = ensemble;
        using var model = mlContext.MulticlassClassification.Trainers.MoViNet(options).Fit(data);
        Assert.AreEqual(variant, model.Spec.Variant);
        Assert.AreEqual(ensemble, model.Spec.TemporalEnsemble);
        Assert.AreEqual(mode == MoViNetMode.Stream, model.CanStream);
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(data));
        Assert.AreEqual(4, metrics.PerClassLogLoss.Count);
        Assert.IsTrue(double.IsFinite(metrics.LogLoss) && metrics.LogLoss > 0);
        if (mode == MoViNetMode.Base)
        {
            Assert.ThrowsExactly<InvalidOperationException>(() => model.CreateStream());
        }
        else
        {
            using var stream = model.CreateStream();
            var logits = stream.Push(SyntheticClips.Motion(1, seed: 9, frames: 4)[0].Frames is var f ? ToFrameMajor(f, 4, 32) : [], 32, 32);
            Assert.AreEqual(4, logits.Length);
            string prefix = ensemble ? "model_1." : "";
            Assert.IsTrue(stream.StateShapes.ContainsKey(prefix + "head.pool_sum") && stream.StateShapes.ContainsKey(prefix + "b1_l0.stream_buffer"));
        }
    }

    [TestMethod]
    public void Options_AreValidatedBeforeAnyData()
    {
        var mlContext = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options { FrameSize = 16 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options { WidthMultiplier = 0 }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options { Variant = (MoViNetVariant)7 }));
    }

    /// <summary>[C, T, H, W] clip → per-frame [C, H, W] arrays.</summary>
    private static IEnumerable<float[]> Frames(float[] clip, int frames, int size)
    {
        int plane = size * size;
        for (int t = 0; t < frames; t++)
        {
            var frame = new float[3 * plane];
            for (int c = 0; c < 3; c++)
                Array.Copy(clip, ((c * frames) + t) * plane, frame, c * plane, plane);
            yield return frame;
        }
    }

    private static float[] ToFrameMajor(float[] clip, int frames, int size) => Frames(clip, frames, size).SelectMany(f => f).ToArray();

    private sealed class ScoreRow
    {
        public float[] Score { get; set; } = [];
    }
}
