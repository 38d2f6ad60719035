using System.Text.Json;

namespace MLNetVideo.Tests.Fixtures.LegacyZips;

/// <summary>What a legacy zip gave at save time: the clip column's shape and the scores of <see cref="LegacyZipInputs.ScoredRows"/>
/// rows of <see cref="LegacyZipInputs.Row"/> (file <c>&lt;name&gt;.json</c> next to <c>&lt;name&gt;.zip</c>).</summary>
public sealed class LegacyZipRecord
{
    public string Name { get; set; } = "";

    public string SavedBy { get; set; } = "";

    public string ClipColumnName { get; set; } = "Frames";

    public int[] Dimensions { get; set; } = [];

    public float[][] Scores { get; set; } = [];

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
}
