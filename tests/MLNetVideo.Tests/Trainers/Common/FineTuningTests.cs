using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// Fine-tuning works (issue 17, item 5): a tiny TSM pre-trained on one synthetic task (drifting gratings of period 8 at 8
/// orientations), saved as the TSM reference releases its checkpoints (legacy torch.save, <c>module.base_model.</c>,
/// <c>new_fc</c>), and fine-tuned through <see cref="VideoTrainerOptionsBase.InitialWeights"/> on another task (period 6
/// at 4 orientations between the pre-training ones: a new 4-class head, 16 clips, one epoch) is clearly better than the
/// same network trained from scratch with the same data, options and steps. benchmarks/FineTuneBenchmarks repeats it over seeds.
/// </summary>
[TestClass, TestCategory(TestCategories.Learning)]
[DoNotParallelize]
public sealed class FineTuningTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod, Timeout(180_000, CooperativeCancellation = true)]   // about 4 s on the idle 2-core machine
    public void FineTunedFromAPretrainedOfficialLayoutFile_BeatsScratch_AfterTheSameEpochs()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        string checkpoint = folder.File("TSM_synthetic8_RGB_resnet18_shift8_blockres_avg_segment4_e4.pth");
        double pretrainAccuracy = FineTuningTask.PretrainAndSave(mlContext, checkpoint, seed: 3, dataSeed: 1, heldOutSeed: 9, m => TestContext.WriteLine(m.ToString()));
        TestContext.WriteLine($"pre-training task, held-out accuracy {pretrainAccuracy:P1}");
        Assert.IsTrue(pretrainAccuracy >= 0.9, $"the pre-training task was not learned ({pretrainAccuracy:P1})");

        var train = FineTuningTask.Gratings(mlContext, 16, seed: 2, FineTuningTask.TargetAngles, period: 6);
        var test = FineTuningTask.Gratings(mlContext, 64, seed: 3, FineTuningTask.TargetAngles, period: 6);
        double Accuracy(string? weights)
        {
            using var model = mlContext.MulticlassClassification.Trainers.Tsm(FineTuningTask.Options(1, 4, seed: 3, weights, m => TestContext.WriteLine(m.ToString()))).Fit(train);
            return mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        }
        double scratch = Accuracy(null);
        double fineTuned = Accuracy(checkpoint);
        TestContext.WriteLine($"4 other orientations of a finer grating, 16 clips, 1 epoch (4 steps): scratch {scratch:P1}, fine-tuned from the 8-direction checkpoint {fineTuned:P1}");
        Assert.IsTrue(fineTuned >= 0.6, $"fine-tuned accuracy {fineTuned:P1}");
        Assert.IsTrue(fineTuned >= scratch + 0.2, $"fine-tuned {fineTuned:P1} is not clearly better than scratch {scratch:P1}");
    }
}
