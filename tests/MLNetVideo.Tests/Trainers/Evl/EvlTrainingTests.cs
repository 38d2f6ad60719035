using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Evl;
using TorchSharp;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Trainers.Evl;

/// <summary>EVL on a tiny random-init CLIP: learns the synthetic motion set, leaves CLIP untouched, and the whole pipeline
/// round-trips through one zip.</summary>
[TestClass]
[DoNotParallelize]
public sealed class EvlTrainingTests
{
    public TestContext TestContext { get; set; } = null!;

    private static ClipFeaturizingEstimator.Options Featurizer() => new()
    {
        InputColumnName = "Frames",
        InputLayout = ClipFrameLayout.Cthw,
        Variant = ClipVisionVariant.Tiny,
        LayersKept = 2,
        Seed = 3,
        Device = "cpu",
    };

    private static EvlTrainer.Options Trainer(int epochs, List<EpochMetrics>? log = null) => new()
    {
        BackboneHeads = ClipVisionSpecs.Tiny.Heads,
        Epochs = epochs,
        BatchSize = 4,
        LearningRate = 2e-3,
        WarmupEpochs = 0.5,
        DropoutRate = 0,
        MlpDropout = 0,
        Device = "cpu",
        Seed = 7,
        MetricsCallback = log is null ? null : log.Add,
    };

    [TestMethod, TestCategory(TestCategories.Learning), Timeout(30_000, CooperativeCancellation = true)]   // about 4 s idle
    public void TinyClipEvl_LearnsMotionDirection_AndClipWeightsStayBitIdentical()
    {
        torch.manual_seed(11);
        var mlContext = new MLContext(seed: 5);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(64, seed: 1));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(32, seed: 2));
        using var featurizer = mlContext.Transforms.FeaturizeVideoWithClip(Featurizer()).Fit(train);
        var before = featurizer.StateDictBytes();
        Assert.IsTrue(featurizer.Network.parameters().All(p => !p.requires_grad), "the CLIP tower must be frozen");
        var trainFeatures = mlContext.Data.Cache(featurizer.Transform(train));

        var epochs = new List<EpochMetrics>();
        using var evl = mlContext.MulticlassClassification.Trainers.Evl(Trainer(12, epochs)).Fit(trainFeatures);
        CollectionAssert.AreEqual(before, featurizer.StateDictBytes(), "CLIP weights changed during EVL training");

        var metrics = mlContext.MulticlassClassification.Evaluate(evl.Transform(featurizer.Transform(test)));
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"test accuracy = {metrics.MicroAccuracy:F3}");
        Assert.AreEqual(12, epochs.Count);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss did not fall");
        Assert.IsTrue(metrics.MicroAccuracy >= 0.8, $"test accuracy {metrics.MicroAccuracy:F3} (chance 0.25)");
    }

    [TestMethod]
    public void FeaturizerPlusEvl_Pipeline_RoundTripsThroughOneZip()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 5);
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(16, seed: 1, frames: 4), frames: 4);
        var pipeline = mlContext.Transforms.FeaturizeVideoWithClip(Featurizer())
            .Append(mlContext.MulticlassClassification.Trainers.Evl(Trainer(1)));
        var model = pipeline.Fit(train);
        var scores = model.Transform(train).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        string zip = folder.File("evl.zip");
        mlContext.Model.Save(model, train.Schema, zip);
        foreach (var t in model) (t as IDisposable)?.Dispose();

        torch.manual_seed(123);
        var loaded = new MLContext(seed: 9).Model.Load(zip, out var schema);
        var chain = (TransformerChain<ITransformer>)loaded;
        Assert.IsInstanceOfType<ClipFeaturizingTransformer>(chain.First());
        Assert.IsInstanceOfType<VideoClassifierTransformer<EvlSpec>>(chain.Last());
        var again = loaded.Transform(train).GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
        Assert.AreEqual(scores.Length, again.Length);
        for (int i = 0; i < scores.Length; i++)
            CollectionAssert.AreEqual(scores[i], again[i], $"row {i}");
        foreach (var t in chain) (t as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void WrongFeatureColumn_FailsWithSchemaError()
    {
        var mlContext = new MLContext(seed: 5);
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, seed: 1, frames: 4), frames: 4);
        var options = Trainer(1);
        options.ClipColumnName = "Frames";   // raw pixels [3, 4, 32, 32]: 3 slices but 32 tokens is not a square + 1
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.Evl(options).Fit(train));
        StringAssert.Contains(e.Message, "Frames");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.Evl(new EvlTrainer.Options { ClipLayout = ClipLayout.Tchw }));
    }
}
