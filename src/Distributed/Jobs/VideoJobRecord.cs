using System.Text.Json.Serialization;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>The result of one video in a job's output (one JSON line in <c>results.jsonl</c>).</summary>
public sealed record VideoJobRecord
{
    /// <summary>Position of the video in the job's list.</summary>
    public int Index { get; init; }

    /// <summary>The video, as listed.</summary>
    public string Video { get; init; } = "";

    /// <summary>Whether it was processed; false when it could not be decoded or scored (see <see cref="Error"/>).</summary>
    public bool Ok { get; init; }

    /// <summary>Why it failed, or null.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Error { get; init; }

    /// <summary>Scoring: the predicted label.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Label { get; init; }

    /// <summary>Scoring: the best classes, best first.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<ClassScore>? Top { get; init; }

    /// <summary>Scoring: the whole score vector (when the job asked for it).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public float[]? Scores { get; init; }

    /// <summary>Featurizing: the shape of the clip's feature tensor now in the cache.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[]? FeatureShape { get; init; }
}
