using Microsoft.ML.Runtime;
using MLNetVideo.Interop;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// The per-epoch scalars of <see cref="VideoTrainerOptionsBase.TensorBoardLogFolder"/>: step = epoch; tags
/// <c>train/loss</c>, <c>train/accuracy</c>, <c>validation/loss</c>, <c>validation/accuracy</c>, <c>validation/top_k_accuracy</c>
/// (with a validation set), <c>learning_rate</c>, <c>clips_per_second</c>, <c>epoch_seconds</c> and <c>{Family}/{name}</c> for
/// family metrics (AFNet's <c>AFNet/SelectedFrameRatio</c>); per-batch family figures, where a family reports them, as
/// <c>{Family}/step/{name}</c> with step = the batch's index over the run (AFNet's navigation diagnostics). A write that fails after the file was created (a full disk)
/// is logged as a warning and ends the logging, not the training.
/// </summary>
internal sealed class TrainingTensorBoardLog : IDisposable
{
    private readonly IHostEnvironment _environment;
    private readonly string _family;
    private TensorBoardEventWriter? _writer;

    public TrainingTensorBoardLog(IHostEnvironment environment, string family, string folder)
    {
        _environment = environment;
        _family = family;
        _writer = new TensorBoardEventWriter(folder);
        MLNetHost.LogInfo(environment, family, $"TensorBoard events: {_writer.FilePath}");
    }

    public static IEnumerable<(string Tag, float Value)> Scalars(EpochMetrics m, string family)
    {
        yield return ("train/loss", (float)m.TrainLoss);
        yield return ("train/accuracy", (float)m.TrainAccuracy);
        if (m.ValidationLoss is { } validationLoss)
            yield return ("validation/loss", (float)validationLoss);
        if (m.ValidationAccuracy is { } validationAccuracy)
            yield return ("validation/accuracy", (float)validationAccuracy);
        if (m.ValidationTopKAccuracy is { } topK)
            yield return ("validation/top_k_accuracy", (float)topK);
        yield return ("learning_rate", (float)m.LearningRate);
        yield return ("clips_per_second", (float)m.ClipsPerSecond);
        yield return ("epoch_seconds", (float)m.Elapsed.TotalSeconds);
        foreach (var (name, value) in m.FamilyMetrics)
            yield return ($"{family}/{name}", (float)value);
    }

    public void Write(EpochMetrics metrics) => Add(Scalars(metrics, _family), metrics.Epoch);

    /// <summary>A family's per-batch figures as <c>{Family}/step/{name}</c>, step = batches trained before this one (0-based,
    /// over the whole run).</summary>
    public void WriteStep(IReadOnlyDictionary<string, double> values, long step)
        => Add([.. values.Select(v => ($"{_family}/step/{v.Key}", (float)v.Value))], step);

    private void Add(IEnumerable<(string Tag, float Value)> scalars, long step)
    {
        if (_writer is null)
            return;
        try
        {
            _writer.AddScalars(scalars, step);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            MLNetHost.LogWarning(_environment, _family, $"TensorBoard logging stopped: writing '{_writer.FilePath}' failed ({e.Message}).");
            _writer.Dispose();
            _writer = null;
        }
    }

    public void Dispose() => _writer?.Dispose();
}
