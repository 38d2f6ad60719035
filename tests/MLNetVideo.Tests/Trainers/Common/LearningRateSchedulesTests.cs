using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Common;
using MLNetVideo.Trainers.S3D;

namespace MLNetVideo.Tests.Trainers.Common;

[TestClass]
public sealed class LearningRateSchedulesTests
{
    [TestMethod]
    public void Warmup_RisesLinearly_ThenCosineFallsToTheMinimum()
    {
        var o = new S3DTrainer.Options { Epochs = 10, LearningRate = 0.1, WarmupEpochs = 1, MinLearningRate = 0.001, LearningRateSchedule = LearningRateSchedule.Cosine };
        Assert.AreEqual(0.1 * 1 / 4, LearningRateSchedules.At(o, 0, 4), 1e-12);
        Assert.AreEqual(0.1 * 3 / 4, LearningRateSchedules.At(o, 2, 4), 1e-12);
        Assert.AreEqual(0.1, LearningRateSchedules.At(o, 4, 4), 1e-12);                      // first post-warm-up step: the peak
        Assert.AreEqual(0.001 + (0.099 * 0.5), LearningRateSchedules.At(o, 4 + 18, 4), 1e-12); // half-way through the cosine
        Assert.AreEqual(0.001, LearningRateSchedules.At(o, 40, 4), 1e-12);                   // end of training
    }

    [TestMethod]
    public void Step_DecaysEveryStepEpochs()
    {
        var o = new S3DTrainer.Options { Epochs = 9, LearningRate = 1, LearningRateSchedule = LearningRateSchedule.Step, StepEpochs = 3, StepGamma = 0.1 };
        Assert.AreEqual(1.0, LearningRateSchedules.At(o, 5, 2), 1e-12);    // epoch 2
        Assert.AreEqual(0.1, LearningRateSchedules.At(o, 6, 2), 1e-12);    // epoch 3
        Assert.AreEqual(0.01, LearningRateSchedules.At(o, 17, 2), 1e-12);  // epoch 8
    }

    [TestMethod]
    public void Constant_StaysAtTheRate()
    {
        var o = new S3DTrainer.Options { Epochs = 3, LearningRate = 0.5, LearningRateSchedule = LearningRateSchedule.Constant };
        Assert.AreEqual(0.5, LearningRateSchedules.At(o, 0, 10), 0);
        Assert.AreEqual(0.5, LearningRateSchedules.At(o, 29, 10), 0);
    }
}
