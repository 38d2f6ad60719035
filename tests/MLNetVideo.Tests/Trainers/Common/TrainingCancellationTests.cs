using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// Issue 18, item 4: <c>mlContext.CancelExecution()</c> stops a training <c>Fit</c> within one batch and surfaces as
/// <see cref="OperationCanceledException"/>, whether the clips are already in memory (a warm cache, which used to train every
/// epoch regardless) or decoded as training reads them (cold, where the decoder's cancellation used to come out wrapped in an
/// <see cref="InvalidOperationException"/>).
/// </summary>
[TestClass, DoNotParallelize]
public sealed class TrainingCancellationTests
{
    private static S3DTrainer.Options Tiny(int epochs, Action<EpochMetrics> onEpoch, string clipColumn = "Frames") => new()
    {
        Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, ClipLayout = ClipLayout.Cthw, ClipColumnName = clipColumn,
        Epochs = epochs, BatchSize = 2, PrefetchBatches = 1, Device = "cpu", Seed = 3, MetricsCallback = onEpoch,
    };

    [TestMethod]
    public void WarmClips_CancelAfterTheFirstEpoch_StopsBeforeTheSecond()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.Cache(SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 1, frames: 8, size: 32), frames: 8, size: 32));
        var epochs = new List<EpochMetrics>();
        var trainer = mlContext.MulticlassClassification.Trainers.S3D(Tiny(5, m => { epochs.Add(m); mlContext.CancelExecution(); }));
        var ex = Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));
        Assert.HasCount(1, epochs, "training must stop in the epoch after the cancellation, not run all five");
        StringAssert.Contains(ex.Message, "cancelled");
        Assert.IsTrue(mlContext.IsCancellationRequested());
    }

    [TestMethod]
    public void WarmClips_CancelInTheMiddleOfTheFirstEpoch_NoEpochCompletes()
    {
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.Motion(16, seed: 2, frames: 8, size: 32);
        var keys = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(SyntheticClips.Load(mlContext, clips, frames: 8, size: 32));
        int served = 0;
        const int cancelAt = 16 + 3;   // the trainer counts the rows once, then the first epoch reads them: cancel at its third row
        IEnumerable<ClipRow> Streamed()
        {
            foreach (var row in clips)
            {
                if (Interlocked.Increment(ref served) == cancelAt) mlContext.CancelExecution();
                yield return row;
            }
        }
        var data = keys.Transform(SyntheticClips.Load(mlContext, Streamed(), frames: 8, size: 32));
        var epochs = new List<EpochMetrics>();
        var options = Tiny(3, epochs.Add);
        options.ShufflePoolSize = 0;   // stream the rows in order, so that what was read after the cancellation is measurable
        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data));
        Assert.IsEmpty(epochs, "the first epoch must not finish once cancelled");
        Assert.IsTrue(served >= cancelAt, "the cancellation happened while the first epoch was read");
    }

    [TestMethod]
    public void ColdPipeline_DecodingWhileTraining_CancelSurfacesAsOperationCanceled()
    {
        using var folder = new TempFolder("mlnv-cancel");
        SyntheticActionVideos.Generate(folder.Path, new SyntheticActionOptions
        {
            VideosPerClass = 4, Classes = [SyntheticAction.Left, SyntheticAction.Right], Frames = 8, Size = 32, Seed = 7,
        });
        var mlContext = new MLContext(seed: 1);
        var data = VideoDataset.FromDirectory(mlContext, folder.Path);
        var epochs = new List<EpochMetrics>();
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
            .Append(mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
            {
                InputColumnName = "VideoPath", OutputColumnName = "Frames", VideoFolder = folder.Path,
                Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = 32, Layout = ClipLayout.Cthw,
            }))
            .Append(mlContext.MulticlassClassification.Trainers.S3D(Tiny(4, m => { epochs.Add(m); mlContext.CancelExecution(); })));
        var ex = Assert.Throws<OperationCanceledException>(() => pipeline.Fit(data));
        Assert.IsInstanceOfType<OperationCanceledException>(ex);
        Assert.HasCount(1, epochs);
    }
}
