using Microsoft.ML;
using Microsoft.ML.Data;
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
    public void WarmClips_CancelAfterTheFirstBatchOfEpoch2_NoFurtherBatch_AndTheEpoch1CheckpointIsIntact()
    {
        using var folder = new TempFolder("mlnv-cancel-checkpoint");
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.Cache(SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 1, frames: 8, size: 32), frames: 8, size: 32));
        var batches = new BatchLog(mlContext, cancelAt: "epoch 2/3 batch 1/4");
        byte[]? afterEpoch1 = null;
        var options = Tiny(3, m => afterEpoch1 ??= File.ReadAllBytes(TrainingCheckpoint.PathIn(folder.Path)));
        options.CheckpointFolder = folder.Path;
        var ex = Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data));
        StringAssert.Contains(ex.Message, "cancelled");
        CollectionAssert.AreEqual(new[] { "epoch 1/3 batch 1/4", "epoch 1/3 batch 2/4", "epoch 1/3 batch 3/4", "epoch 1/3 batch 4/4", "epoch 2/3 batch 1/4" },
            batches.Seen, "not one batch may run after the cancellation");
        Assert.IsNotNull(afterEpoch1);
        CollectionAssert.AreEqual(afterEpoch1, File.ReadAllBytes(TrainingCheckpoint.PathIn(folder.Path)), "the last checkpoint must stay as epoch 1 wrote it");
        CollectionAssert.AreEqual(new[] { TrainingCheckpoint.FileName }, Directory.GetFileSystemEntries(folder.Path).Select(Path.GetFileName).ToArray(),
            "no temp file is left behind");
    }

    [TestMethod]
    public void StreamedRows_CancelWhileTheReadAheadThreadReads_ItStopsThere_AndAtMostOneMoreBatchRuns()
    {
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.Motion(16, seed: 2, frames: 8, size: 32)
            .Select(r => new KeyedClipRow { Frames = r.Frames, Label = (uint)Array.IndexOf(SyntheticClips.Directions, r.Label) + 1 }).ToList();
        int served = 0;
        const int cancelAt = 16 + 5;   // the trainer counts the rows once, then the first epoch reads them: cancel at its fifth row
        int batchesAtCancel = -1;
        var batches = new BatchLog(mlContext);
        IEnumerable<KeyedClipRow> Streamed()
        {
            foreach (var row in clips)
            {
                // On the read-ahead thread, while the training thread computes a batch.
                if (Interlocked.Increment(ref served) == cancelAt)
                {
                    batchesAtCancel = batches.Seen.Count;
                    mlContext.CancelExecution();
                }
                yield return row;
            }
        }
        // Key labels in the rows themselves: the trainer's cursor is the stream's own (a MapValueToKey upstream would read
        // ahead on ML.NET's own threads, whatever the trainer does).
        var definition = SchemaDefinition.Create(typeof(KeyedClipRow));
        definition[nameof(KeyedClipRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 8, 32, 32);
        definition[nameof(KeyedClipRow.Label)].ColumnType = new KeyDataViewType(typeof(uint), SyntheticClips.Directions.Length);
        var data = mlContext.Data.LoadFromEnumerable(Streamed(), definition);
        var epochs = new List<EpochMetrics>();
        var options = Tiny(3, epochs.Add);
        options.ShufflePoolSize = 0;   // stream the rows in order, so that what was read after the cancellation is measurable
        options.PrefetchBatches = 4;   // room to read far ahead: the reader must stop by itself, not because its queue is full
        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data));
        Assert.IsEmpty(epochs, "the first epoch must not finish once cancelled");
        Assert.AreEqual(cancelAt, served, "the read-ahead thread must not read another row once cancelled");
        Assert.IsTrue(batchesAtCancel >= 0, "the cancellation happened while the first epoch was read");
        Assert.IsTrue(batches.Seen.Count <= batchesAtCancel + 1, $"{batches.Seen.Count - batchesAtCancel} batches ran after the cancellation");
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
            .Append(mlContext.MulticlassClassification.Trainers.S3D(Tiny(4, epochs.Add)));
        // Cancelled on the training thread after the first batch of epoch 2, while the read-ahead thread decodes the next clips.
        var batches = new BatchLog(mlContext, cancelAt: "epoch 2/4 batch 1/4");
        var ex = Assert.Throws<OperationCanceledException>(() => pipeline.Fit(data));
        Assert.IsInstanceOfType<OperationCanceledException>(ex);
        Assert.HasCount(1, epochs);
        Assert.AreEqual("epoch 2/4 batch 1/4", batches.Seen[^1], "not one batch may run after the cancellation");
    }

    private sealed class KeyedClipRow
    {
        public float[] Frames { get; set; } = [];

        public uint Label { get; set; }
    }

    /// <summary>The trainer's per-batch trace lines from ML.NET's log; cancels the context right after a given one.</summary>
    private sealed class BatchLog
    {
        private readonly List<string> _seen = [];

        public BatchLog(MLContext mlContext, string? cancelAt = null)
        {
            mlContext.Log += (_, e) =>
            {
                if (e.Kind != Microsoft.ML.Runtime.ChannelMessageKind.Trace) return;
                int at = e.RawMessage.IndexOf("epoch ", StringComparison.Ordinal);
                if (at < 0 || !e.RawMessage.Contains(" batch ", StringComparison.Ordinal)) return;
                string batch = e.RawMessage[at..];
                lock (_seen) _seen.Add(batch);
                if (batch == cancelAt) mlContext.CancelExecution();
            };
        }

        public List<string> Seen { get { lock (_seen) return [.. _seen]; } }
    }
}
