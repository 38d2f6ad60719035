using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using MLNetVideo.Determinism;
using MLNetVideo.Interop;
using MLNetVideo.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// The training loop shared by every family: seeded per-epoch data order and dropout, gradient accumulation and clipping,
/// scheduled learning rate, validation with early stopping, atomic checkpoints with resume, metrics to the log and callback.
/// </summary>
internal static class TorchTrainingLoop
{
    // The floor under a validation probability before its log (held, not implicit: HeldScalars).
    private static readonly Scalar SmallestProbability = 1e-12.ToScalar();

    public static TrainingProgress Run(TrainingRun run, IDataView train)
    {
        ThrowIfCancelled(run);
        try
        {
            return RunEpochs(run, train);
        }
        catch (Exception e) when (MLNetHost.IsCancelled(run.Environment) && e.Message != CancelledMessage(run))
        {
            // A decoder or the clip reader stopped by the cancellation may surface wrapped (by a cursor, a cache or the
            // prefetch thread) or with its own message: it is still the cancellation the caller asked for.
            throw new OperationCanceledException(CancelledMessage(run), e);
        }
    }

    private static string CancelledMessage(TrainingRun run) => $"{run.Family} training was cancelled (MLContext execution cancelled).";

    /// <summary>Throws <see cref="OperationCanceledException"/> once the MLContext's execution was cancelled.</summary>
    private static void ThrowIfCancelled(TrainingRun run)
    {
        if (MLNetHost.IsCancelled(run.Environment))
            throw new OperationCanceledException(CancelledMessage(run));
    }

    private static TrainingProgress RunEpochs(TrainingRun run, IDataView train)
    {
        var o = run.Options;
        var network = run.Network;
        var (optimizer, scales, groups) = CreateOptimizer(o, network, run.LearningRateScale);
        using var disposeOptimizer = optimizer;
        if (scales.Length > 1 || run.Frozen is not null)
            MLNetHost.LogInfo(run.Environment, run.Family, $"Optimizer groups: {groups}{(run.Frozen is null ? "" : $"; {run.Frozen}")}.");
        long rows = ClipBatcher.CountLabeledRows(train, o.LabelColumnName);
        if (rows == 0)
            throw new InvalidOperationException($"The training data has no row with a label in column '{o.LabelColumnName}'.");
        long batchesPerEpoch = (rows + o.BatchSize - 1) / o.BatchSize;
        long stepsPerEpoch = (batchesPerEpoch + o.GradientAccumulationSteps - 1) / o.GradientAccumulationSteps;

        var progress = new TrainingProgress();
        if (o.ResumeFromCheckpoint && o.CheckpointFolder is { } resumeFolder)
        {
            var restored = TrainingCheckpoint.TryLoad(resumeFolder, run.Family, run.Fingerprint, network, optimizer);
            if (restored is not null)
            {
                progress = restored;
                MLNetHost.LogInfo(run.Environment, run.Family, $"Resumed from {TrainingCheckpoint.PathIn(resumeFolder)} after epoch {progress.CompletedEpochs}.");
            }
            else
            {
                MLNetHost.LogInfo(run.Environment, run.Family, $"No checkpoint in {resumeFolder}; training from the start.");
            }
        }

        using var tensorBoard = o.TensorBoardLogFolder is { } logFolder ? new TrainingTensorBoardLog(run.Environment, run.Family, logFolder) : null;
        var epochTimes = new List<TimeSpan>();
        for (int epoch = progress.CompletedEpochs; epoch < o.Epochs && !progress.Stopped; epoch++)
        {
            var clock = Stopwatch.StartNew();
            // Reseed from (seed, epoch): a resumed run draws the same dropout masks and data order as an uninterrupted one.
            Seeding.ApplyToTorch(Seeding.CreateRandom(run.Seed, RandomStream.Model, epoch).Next());
            var order = Seeding.CreateRandom(run.Seed, RandomStream.DataOrder, epoch);
            network.train();
            run.Frozen?.KeepNormsInEvalMode();
            double lossSum = 0;
            long correct = 0, clips = 0, micro = 0;
            double learningRate = LearningRateSchedules.At(o, progress.OptimizerSteps, stepsPerEpoch);
            long steps = progress.OptimizerSteps;
            long batchIndex = 0;
            // The read-ahead thread stops before its next row once the run is cancelled, so a cancellation costs at most the
            // batch being computed (and the row being decoded, which LoadVideoFrames stops itself).
            foreach (var batch in ClipBatcher.Read(train, o.ClipColumnName, o.LabelColumnName, run.Clip.RowSize, o.BatchSize,
                o.ShufflePoolSize > 0 ? order : null, o.ShufflePoolSize, o.PrefetchBatches, stopRequested: () => MLNetHost.IsCancelled(run.Environment)))
            {
                // A batch of one clip gives BatchNorm a 0/0 unbiased variance wherever the feature map has shrunk to
                // 1×1×1: the step looks fine but running_var becomes NaN and every later prediction is NaN. Skip it
                // (the rows are reshuffled next epoch), as PyTorch users do with drop_last.
                ThrowIfCancelled(run);   // between batches: a cancelled run stops within one batch, warm cache or cold
                if ((long)batch.Count * run.Clip.Views < 2 && rows > 1)
                    continue;
                var position = new TrainingPosition(epoch, batchIndex++, batchesPerEpoch);
                run.BeforeTrainingBatch?.Invoke(network, position);
                using (var scope = NewDisposeScope())
                {
                    long n = (long)batch.Count * run.Clip.Views;
                    var x = run.Clip.ToTensor(batch.Clips, n, run.NetworkLayout, run.Device);
                    var y = tensor(RepeatLabels(batch, run.Clip.Views), ScalarType.Int64, run.Device);
                    var logits = network.call(x);
                    var loss = nn.functional.cross_entropy(logits, y, label_smoothing: o.LabelSmoothing);
                    // Scalars held across their native calls, not implicit (HeldScalars says why).
                    if (run.AuxiliaryLoss(network, logits, y) is { } auxiliary)
                        loss = loss.add(auxiliary, HeldScalars.One);
                    using var accumulation = o.GradientAccumulationSteps.ToScalar();
                    (o.GradientAccumulationSteps > 1 ? loss.div(accumulation) : loss).backward();
                    if (run.BatchFamilyMetrics?.Invoke(network) is { Count: > 0 } perStep)
                        tensorBoard?.WriteStep(perStep, (position.Epoch * position.BatchesPerEpoch) + position.Batch);
                    lossSum += loss.item<float>() * n;
                    correct += logits.argmax(1).eq(y).sum().item<long>();
                    clips += n;
                }
                if (++micro % o.GradientAccumulationSteps == 0)
                    learningRate = Step(o, network, optimizer, scales, ref steps, stepsPerEpoch);
                // One trace line per batch in ML.NET's log (MLContext.Log, Kind = Trace): where a long epoch is.
                MLNetHost.LogTrace(run.Environment, run.Family, string.Create(CultureInfo.InvariantCulture,
                    $"epoch {epoch + 1}/{o.Epochs} batch {position.Batch + 1}/{batchesPerEpoch}"));
            }
            if (micro % o.GradientAccumulationSteps != 0)
                learningRate = Step(o, network, optimizer, scales, ref steps, stepsPerEpoch);
            double trainSeconds = clock.Elapsed.TotalSeconds;

            (double Loss, double Accuracy, double TopK)? validation = o.ValidationSet is { } v ? Evaluate(run, v) : null;
            var next = progress with { CompletedEpochs = epoch + 1, OptimizerSteps = steps };
            if (validation is { } val)
            {
                next = val.Accuracy > progress.BestValidationAccuracy
                    ? next with { BestValidationAccuracy = val.Accuracy, EpochsWithoutImprovement = 0 }
                    : next with { EpochsWithoutImprovement = progress.EpochsWithoutImprovement + 1 };
                if (o.EarlyStoppingPatience is { } patience && next.EpochsWithoutImprovement >= patience)
                    next = next with { Stopped = true };
            }
            progress = next;
            if (o.CheckpointFolder is { } folder)
                TrainingCheckpoint.Save(folder, run.Family, run.Fingerprint, progress, network, optimizer);

            epochTimes.Add(clock.Elapsed);
            // The first epoch carries one-time costs (libtorch's first allocations and kernel choices, and in a pipeline without a
            // cache the decoding its cursor does); once a later epoch is measured, the estimate leaves it out, so the remaining
            // time after epoch 2 is not inflated by epoch 1.
            var steady = epochTimes.Count > 1 ? epochTimes.Skip(1) : epochTimes;
            var average = TimeSpan.FromTicks((long)steady.Average(t => t.Ticks));
            var metrics = new EpochMetrics
            {
                Epoch = epoch + 1,
                Epochs = o.Epochs,
                TrainLoss = clips > 0 ? lossSum / clips : double.NaN,
                TrainAccuracy = clips > 0 ? (double)correct / clips : double.NaN,
                ValidationLoss = validation?.Loss,
                ValidationAccuracy = validation?.Accuracy,
                ValidationTopKAccuracy = validation?.TopK,
                LearningRate = learningRate,
                ClipsPerSecond = trainSeconds > 0 ? clips / trainSeconds : 0,
                Elapsed = clock.Elapsed,
                EstimatedRemaining = progress.Stopped ? TimeSpan.Zero : average * (o.Epochs - epoch - 1),
                StoppedEarly = progress.Stopped,
                FamilyMetrics = run.EpochFamilyMetrics?.Invoke(network) ?? EpochMetrics.NoFamilyMetrics,
            };
            MLNetHost.LogInfo(run.Environment, run.Family, metrics.ToString());
            tensorBoard?.Write(metrics);
            o.MetricsCallback?.Invoke(metrics);
        }
        network.eval();
        return progress;
    }

    /// <summary>Loss, top-1 and top-k accuracy of <paramref name="data"/> (softmax averaged over the views of a row).</summary>
    internal static (double Loss, double Accuracy, double TopK) Evaluate(TrainingRun run, IDataView data)
    {
        var o = run.Options;
        run.Network.eval();
        int k = Math.Min(o.TopK, run.NumClasses);
        double lossSum = 0;
        long correct = 0, topK = 0, rows = 0;
        using (no_grad())
        {
            foreach (var batch in ClipBatcher.Read(data, o.ClipColumnName, o.LabelColumnName, run.Clip.RowSize, o.BatchSize, null, 0, o.PrefetchBatches,
                stopRequested: () => MLNetHost.IsCancelled(run.Environment)))
            {
                ThrowIfCancelled(run);
                using var scope = NewDisposeScope();
                var x = run.Clip.ToTensor(batch.Clips, (long)batch.Count * run.Clip.Views, run.NetworkLayout, run.Device);
                var y = tensor(batch.Labels.AsSpan(0, batch.Count).ToArray(), ScalarType.Int64, run.Device);
                var p = nn.functional.softmax(run.Network.call(x), 1).view(batch.Count, run.Clip.Views, run.NumClasses).mean([1L]);
                lossSum += -p.gather(1, y.unsqueeze(1)).clamp_min(SmallestProbability).log().sum().item<float>();
                correct += p.argmax(1).eq(y).sum().item<long>();
                topK += p.topk(k, 1).indexes.eq(y.unsqueeze(1)).any(1).sum().item<long>();
                rows += batch.Count;
            }
        }
        return rows == 0 ? (double.NaN, double.NaN, double.NaN) : (lossSum / rows, (double)correct / rows, (double)topK / rows);
    }

    private static double Step(VideoTrainerOptionsBase o, nn.Module network, OptimizerHelper optimizer, double[] scales, ref long steps, long stepsPerEpoch)
    {
        if (o.GradientClipNorm is { } clip)
            nn.utils.clip_grad_norm_(network.parameters(), clip);
        double rate = LearningRateSchedules.At(o, steps, stepsPerEpoch);
        int g = 0;
        foreach (var group in optimizer.ParamGroups)
            group.LearningRate = rate * scales[g++];
        optimizer.step();
        optimizer.zero_grad();
        steps++;
        return rate;
    }

    // One parameter group per distinct learning-rate scale (in order of first appearance, so a resumed run rebuilds the
    // same groups); the schedule's rate is multiplied by each group's scale at every step.
    // Frozen parameters (requires_grad = false) are left out, so neither weight decay nor momentum can move them.
    internal static (OptimizerHelper Optimizer, double[] Scales, string Description) CreateOptimizer(VideoTrainerOptionsBase o, nn.Module network,
        Func<string, double>? scaleOf)
    {
        var groups = network.named_parameters()
            .Where(p => p.parameter.requires_grad)
            .GroupBy(p => scaleOf?.Invoke(p.name) ?? 1.0)
            .Select(g => (Scale: g.Key, Parameters: g.Select(p => p.parameter).ToList()))
            .ToList();
        if (groups.Any(g => !(g.Scale > 0 && double.IsFinite(g.Scale))))
            throw new InvalidOperationException("Every learning-rate scale must be a positive number.");
        if (groups.Count == 0)
            throw new InvalidOperationException("Nothing is left to train: every parameter is frozen (FreezeBackbone, FrozenStages).");
        double[] scales = [.. groups.Select(g => g.Scale)];
        string description = string.Join(", ", groups.Select(g => $"learning rate ×{g.Scale:G4} for {g.Parameters.Count} tensors"));
        OptimizerHelper optimizer = o.Optimizer switch
        {
            // TorchSharp's optimizers with their update's Scalars held (see Common/SGD.cs).
            VideoOptimizer.AdamW => new AdamW(groups.Select(g => new TorchSharp.Modules.AdamW.ParamGroup(g.Parameters, lr: o.LearningRate * g.Scale, weight_decay: o.WeightDecay)),
                o.LearningRate, o.WeightDecay),
            _ => new SGD(groups.Select(g => new TorchSharp.Modules.SGD.ParamGroup(g.Parameters, lr: o.LearningRate * g.Scale, momentum: o.Momentum, weight_decay: o.WeightDecay)),
                o.LearningRate, o.Momentum, o.WeightDecay),
        };
        return (optimizer, scales, description);
    }

    private static long[] RepeatLabels(ClipBatch batch, int views)
    {
        var labels = new long[(long)batch.Count * views];
        for (int i = 0; i < batch.Count; i++)
            for (int v = 0; v < views; v++)
                labels[(i * views) + v] = batch.Labels[i];
        return labels;
    }
}
