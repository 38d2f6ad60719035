using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;
using TorchSharp;

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
    private const int Frames = 4;
    private const int Size = 32;
    private static readonly double[] PretrainAngles = [0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5];
    private static readonly double[] TargetAngles = [11.25, 56.25, 101.25, 146.25];

    public TestContext TestContext { get; set; } = null!;

    private TsmTrainer.Options Options(int epochs, string? weights, int batch = 8) => new()
    {
        MetricsCallback = m => TestContext.WriteLine(m.ToString()),
        Depth = TsmDepth.ResNet18,
        WidthMultiplier = 0.125,
        ClipLayout = ClipLayout.Cthw,
        Epochs = epochs,
        BatchSize = batch,
        Optimizer = VideoOptimizer.AdamW,
        LearningRate = 3e-3,
        DropoutRate = 0,
        Device = "cpu",
        Seed = 3,
        InitialWeights = weights,
    };

    [TestMethod, Timeout(60_000, CooperativeCancellation = true)]
    public void FineTunedFromAPretrainedOfficialLayoutFile_BeatsScratch_AfterTheSameEpochs()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        using var stopOnTimeout = TestContext.CancellationToken.Register(() => mlContext.CancelExecution());
        var pretrainData = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Gratings(128, seed: 1, PretrainAngles, period: 8, Frames, Size), Frames, Size);
        string checkpoint = folder.File("TSM_synthetic8_RGB_resnet18_shift8_blockres_avg_segment4_e6.pth");
        using (var pretrained = mlContext.MulticlassClassification.Trainers.Tsm(Options(4, null, batch: 16)).Fit(pretrainData))
        {
            var held = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Gratings(64, seed: 9, PretrainAngles, period: 8, Frames, Size), Frames, Size);
            double pretrainAccuracy = mlContext.MulticlassClassification.Evaluate(pretrained.Transform(held)).MicroAccuracy;
            TestContext.WriteLine($"pre-training task, held-out accuracy {pretrainAccuracy:P1}");
            Assert.IsTrue(pretrainAccuracy >= 0.9, $"the pre-training task was not learned ({pretrainAccuracy:P1})");
            var entries = pretrained.Network.state_dict().Select(kv => new KeyValuePair<string, TensorData>(
                "module." + (kv.Key.StartsWith("fc.", StringComparison.Ordinal) ? "new_" + kv.Key : "base_model." + kv.Key), TensorData.FromTensor(kv.Value))).ToList();
            PyTorchCheckpointWriter.Write(checkpoint, [new("epoch", 6L), new("arch", "resnet18"), new("state_dict", entries)], PyTorchCheckpointFormat.Legacy);
        }

        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Gratings(16, seed: 2, TargetAngles, period: 6, Frames, Size), Frames, Size);
        var test = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Gratings(64, seed: 3, TargetAngles, period: 6, Frames, Size), Frames, Size);
        double Accuracy(string? weights)
        {
            using var model = mlContext.MulticlassClassification.Trainers.Tsm(Options(1, weights, batch: 4)).Fit(train);
            return mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
        }
        double scratch = Accuracy(null);
        double fineTuned = Accuracy(checkpoint);
        TestContext.WriteLine($"4 other orientations of a finer grating, 16 clips, 1 epoch (4 steps): scratch {scratch:P1}, fine-tuned from the 8-direction checkpoint {fineTuned:P1}");
        Assert.IsTrue(fineTuned >= 0.6, $"fine-tuned accuracy {fineTuned:P1}");
        Assert.IsTrue(fineTuned >= scratch + 0.2, $"fine-tuned {fineTuned:P1} is not clearly better than scratch {scratch:P1}");
    }
}
