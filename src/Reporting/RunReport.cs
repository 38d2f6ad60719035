using System.Text.Json;
using System.Text.Json.Serialization;

namespace MLNetVideo.Reporting;

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
