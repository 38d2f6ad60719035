using Microsoft.ML;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>Issue 18, item 6: one-time costs of the first epoch (libtorch warm-up, or decoding in a pipeline without a cache)
/// do not inflate the remaining-time estimate once a later epoch is measured (the ETA after epoch 1 of a run of minutes once
/// read 02:19:32).</summary>
[TestClass, DoNotParallelize]
public sealed class TrainingEtaTests
{
    [TestMethod]
    public void EstimatedRemaining_AfterTheSecondEpoch_LeavesOutTheFirstEpochsOneTimeCost()
    {
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.Motion(8, seed: 2, frames: 8, size: 32);
        var keys = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(SyntheticClips.Load(mlContext, clips, frames: 8, size: 32));
        int pass = 0;
        IEnumerable<ClipRow> Streamed()
        {
            // Pass 1 counts the rows; pass 2 is the first epoch, made slow by a one-time cost (as a first decode would be).
            if (Interlocked.Increment(ref pass) == 2) Thread.Sleep(3000);
            foreach (var row in clips) yield return row;
        }
        var data = keys.Transform(SyntheticClips.Load(mlContext, Streamed(), frames: 8, size: 32));
        var epochs = new List<EpochMetrics>();
        var options = new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, ClipLayout = ClipLayout.Cthw, Epochs = 3, BatchSize = 2, Device = "cpu", Seed = 3, MetricsCallback = epochs.Add,
        };
        options.ShufflePoolSize = 0;
        using var model = mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data);
        Assert.HasCount(3, epochs);
        Assert.IsTrue(epochs[0].Elapsed >= TimeSpan.FromSeconds(3), $"{epochs[0].Elapsed}");
        // One epoch is left after the second: about the second epoch's time, not the mean with the slow first one (≥ 1.5 s).
        Assert.IsTrue(epochs[1].EstimatedRemaining < TimeSpan.FromSeconds(1), $"ETA {epochs[1].EstimatedRemaining}, epoch 2 took {epochs[1].Elapsed}");
        Assert.AreEqual(TimeSpan.Zero, epochs[2].EstimatedRemaining);
    }
}
