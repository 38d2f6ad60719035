using System.Text.Json;
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

/// <summary>A video an evaluation left out.</summary>
/// <param name="Path">The video's path.</param>
/// <param name="Reason">Why it could not be decoded.</param>
public sealed record SkippedVideo(string Path, string Reason);

/// <summary>Everything a training or evaluation run reports, written as metrics.json.</summary>
public sealed record RunReport
{
    /// <summary>Model name (for example "s3dg").</summary>
    public string? Model { get; init; }

    /// <summary>The settings the run used (frames, size, epochs, ...).</summary>
    public IReadOnlyDictionary<string, object?> Settings { get; init; } = new Dictionary<string, object?>();

    /// <summary>Training videos.</summary>
    public int? TrainCount { get; init; }

    /// <summary>Seconds spent decoding the training videos.</summary>
    public double? DecodeSeconds { get; init; }

    /// <summary>Seconds spent training.</summary>
    public double? TrainSeconds { get; init; }

    /// <summary>Per-epoch training metrics.</summary>
    public IReadOnlyList<EpochRecord> Epochs { get; init; } = [];

    /// <summary>Metrics on the held-out (or given) videos.</summary>
    public EvaluationReport? Evaluation { get; init; }

    /// <summary>A family's own figures measured on the held-out videos (AFNet: <c>SelectedFrameRatio</c>, the mean fraction of
    /// frames its focal branches computed, and <c>ExecutedGFLOPsPerClip</c> / <c>ExecutedGMACsPerClip</c>, what a clip cost
    /// with the frames its navigation selected); omitted when there are none.</summary>
    public IReadOnlyDictionary<string, double>? HeldOutFamilyMetrics { get; init; }
    /// <summary>Videos left out because they could not be decoded (<c>--on-error skip</c>), with the reason; omitted when none.</summary>
    public IReadOnlyList<SkippedVideo>? Skipped { get; init; }

    /// <summary>Where the model was saved.</summary>
    public string? ModelPath { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes this report as indented camelCase JSON.</summary>
    /// <param name="path">The file (its folder is created).</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, ToJson());
    }

    /// <summary>This report as JSON.</summary>
    /// <returns>Indented camelCase JSON.</returns>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
