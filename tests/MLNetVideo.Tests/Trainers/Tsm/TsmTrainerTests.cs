using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Trainers.Tsm;

/// <summary>The TSM trainer from the public API: learning with clustering on the synthetic motion set, persistence, options.</summary>
[TestClass]
[DoNotParallelize]
public sealed class TsmTrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void Seed() => torch.manual_seed(11);

    private static TsmTrainer.Options TinyOptions(int epochs, List<EpochMetrics>? epochLog = null, bool online = true) => new()
    {
        Depth = TsmDepth.ResNet18,
        WidthMultiplier = 0.25,
        Clustering = TsmClustering.Cumulative,
        ClusterCount = 4,
        // The default online clustering path in its default chunks of 4 of the 8 frames: chunk borders, halos and the
        // recomputation in the backward pass are all exercised by learning.
        OnlineClustering = online,
        // The synthetic set is [3, T, H, W]; the trainer converts to the network's [T, 3, H, W].
        ClipLayout = ClipLayout.Cthw,
        Epochs = epochs,
        BatchSize = 8,
        Optimizer = VideoOptimizer.AdamW,
        LearningRate = 3e-3,
        WarmupEpochs = 0.5,
        DropoutRate = 0,
        Device = "cpu",
        Seed = 3,
        MetricsCallback = epochLog is null ? null : epochLog.Add,
    };

    private double TrainAndTest(bool shuffleFrames, List<EpochMetrics> epochs, bool online)
    {
        var mlContext = new MLContext(seed: 5);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(64, seed: 1, frames: 8, shuffleFrames: shuffleFrames));
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(32, seed: 2, frames: 8, shuffleFrames: shuffleFrames));
        using var model = mlContext.MulticlassClassification.Trainers.Tsm(TinyOptions(8, epochs, online)).Fit(train);
        var metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(test));
        foreach (var e in epochs) TestContext.WriteLine(e.ToString());
        TestContext.WriteLine($"test accuracy (shuffled frames: {shuffleFrames}) = {metrics.MicroAccuracy:F3}");
        return metrics.MicroAccuracy;
    }

    [TestMethod, TestCategory(TestCategories.Learning), Timeout(45_000, CooperativeCancellation = true)]   // about 9 s idle
    public void TinyTsmWithClustering_LearnsMotionDirection_AndFrameOrderMatters()
    {
        var epochs = new List<EpochMetrics>();
        double ordered = TrainAndTest(shuffleFrames: false, epochs, online: true);
        // The control only has to show that order matters; the stored path computes the same function, faster.
        double shuffled = TrainAndTest(shuffleFrames: true, [], online: false);
        Assert.AreEqual(8, epochs.Count);
        Assert.IsTrue(epochs[^1].TrainLoss < epochs[0].TrainLoss, "training loss did not fall");
        Assert.IsTrue(ordered >= 0.6, $"ordered-frame test accuracy {ordered:F3} (chance 0.25)");
        Assert.IsTrue(ordered - shuffled >= 0.2, $"ordered {ordered:F3} vs time-shuffled {shuffled:F3}");
    }

    [TestMethod]
    public void SavedZip_LoadsAndPredictsTheSame()
    {
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 4, frames: 8));
        using var model = mlContext.MulticlassClassification.Trainers.Tsm(TinyOptions(1)).Fit(data);
        var before = Scores(model.Transform(data));

        using var folder = new TempFolder();
        string path = folder.File("tsm.zip");
        mlContext.Model.Save(model, data.Schema, path);
        var loaded = new MLContext(seed: 9).Model.Load(path, out _);
        try
        {
            Assert.IsInstanceOfType<VideoClassifierTransformer<TsmSpec>>(loaded);
            var tsm = (VideoClassifierTransformer<TsmSpec>)loaded;
            Assert.AreEqual(TsmClustering.Cumulative, tsm.Spec.Clustering);
            Assert.AreEqual(4, tsm.Spec.ClusterCount);
            var after = Scores(loaded.Transform(data));
            Assert.AreEqual(before.Length, after.Length);
            for (int i = 0; i < before.Length; i++)
                CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
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
    public void Options_InvalidClusterCount_FailsAtConstruction()
    {
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new MLContext().MulticlassClassification.Trainers.Tsm(clustering: TsmClustering.Slope, clusterCount: 0));
        StringAssert.Contains(ex.Message, "ClusterCount");
        var chunk = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => new MLContext().MulticlassClassification.Trainers.Tsm(new TsmTrainer.Options { ShallowChunkFrames = -1 }));
        StringAssert.Contains(chunk.Message, "ShallowChunkFrames");
    }

    [TestMethod]
    public void Options_DefaultToFramesFirstClipsAndPlainTsm()
    {
        var options = new TsmTrainer.Options();
        Assert.AreEqual(ClipLayout.Tchw, options.ClipLayout);
        Assert.AreEqual(TsmClustering.None, options.Clustering);
        Assert.AreEqual(TsmDepth.ResNet50, options.Depth);
        Assert.AreEqual(8, options.ShiftDivisor);
        Assert.AreEqual(8, options.ClusterCount);
        Assert.IsTrue(options.OnlineClustering, "the memory-saving path is the default when clustering is on");
    }
}
