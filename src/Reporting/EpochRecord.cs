using System.Text.Json.Serialization;
using MLNetVideo.Trainers;

namespace MLNetVideo.Reporting;

/// <summary>One epoch in the metrics JSON.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="TrainAccuracy">Training accuracy.</param>
/// <param name="ValidationLoss">Validation loss, if any.</param>
/// <param name="ValidationAccuracy">Validation accuracy, if any.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="ClipsPerSecond">Training throughput.</param>
/// <param name="Seconds">Wall time of the epoch.</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy,
    double LearningRate, double ClipsPerSecond, double Seconds)
{
    /// <summary>A family's own per-epoch figures (for example AFNet's <c>SelectedFrameRatio</c>); omitted when empty.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, double>? FamilyMetrics { get; init; }

    /// <summary>Converts a trainer's epoch metrics.</summary>
    /// <param name="m">The metrics.</param>
    /// <returns>The record.</returns>
    public static EpochRecord From(EpochMetrics m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.Epoch, m.TrainLoss, m.TrainAccuracy, m.ValidationLoss, m.ValidationAccuracy, m.LearningRate, m.ClipsPerSecond, m.Elapsed.TotalSeconds)
        {
            FamilyMetrics = m.FamilyMetrics.Count == 0 ? null : new Dictionary<string, double>(m.FamilyMetrics),
        };
    }
}
