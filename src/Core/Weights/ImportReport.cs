using System.Text;

namespace MLNetVideo.Weights;

/// <summary>
/// How a checkpoint matched a network: which keys were loaded, missing, unexpected, mismatched or skipped on purpose.
/// Returned by every import, exact or not, so callers can log it.
/// </summary>
/// <param name="Loaded">Network keys that received a checkpoint tensor.</param>
/// <param name="Missing">Network keys the checkpoint (after mapping) does not have.</param>
/// <param name="Unexpected">Checkpoint keys (after mapping) the network does not have.</param>
/// <param name="ShapeMismatches">Keys present on both sides with different shapes.</param>
/// <param name="DTypeMismatches">Keys present on both sides with types that cannot be converted.</param>
/// <param name="SkippedOnPurpose">Checkpoint keys dropped by the mapping, and head keys not loaded because of
/// <see cref="ImportOptions.ReinitializeHead"/>.</param>
public sealed record ImportReport(
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<ShapeMismatch> ShapeMismatches,
    IReadOnlyList<DTypeMismatch> DTypeMismatches,
    IReadOnlyList<string> SkippedOnPurpose)
{
    /// <summary>Whether nothing is missing, unexpected or mismatched.</summary>
    public bool IsExact => Missing.Count == 0 && Unexpected.Count == 0 && ShapeMismatches.Count == 0 && DTypeMismatches.Count == 0;

    /// <summary>
    /// A message that names a few keys of each category and the likely cause, for example
    /// <c>Checkpoint 'x.pth' does not fit S3DNetwork: 2 missing (fc.0.weight, fc.0.bias), 2 unexpected (module.fc.0.weight, …).
    /// The unexpected keys start with "module." (…): use the mapping KeyMapping.StripPrefix("module.").</c>
    /// </summary>
    /// <param name="sourceName">The checkpoint, as the user knows it.</param>
    /// <param name="targetName">The network, as the user knows it.</param>
    /// <param name="maxKeysPerList">How many keys to show per category.</param>
    /// <returns>The message.</returns>
    public string Describe(string sourceName, string targetName, int maxKeysPerList = 8)
    {
        var text = new StringBuilder();
        text.Append($"Checkpoint '{sourceName}' ");
        if (IsExact)
        {
            text.Append($"fits {targetName}: {Loaded.Count} loaded");
            if (SkippedOnPurpose.Count > 0) text.Append($", {SkippedOnPurpose.Count} skipped on purpose ({List(SkippedOnPurpose, maxKeysPerList)})");
            return text.Append('.').ToString();
        }
        text.Append($"does not fit {targetName}: {Loaded.Count} loaded");
        var parts = new List<string>();
        if (Missing.Count > 0) parts.Add($"{Missing.Count} missing ({List(Missing, maxKeysPerList)})");
        if (Unexpected.Count > 0) parts.Add($"{Unexpected.Count} unexpected ({List(Unexpected, maxKeysPerList)})");
        if (ShapeMismatches.Count > 0) parts.Add($"{ShapeMismatches.Count} with another shape ({List(ShapeMismatches.Select(m => m.ToString()).ToList(), maxKeysPerList)})");
        if (DTypeMismatches.Count > 0) parts.Add($"{DTypeMismatches.Count} with another type ({List(DTypeMismatches.Select(m => m.ToString()).ToList(), maxKeysPerList)})");
        if (SkippedOnPurpose.Count > 0) parts.Add($"{SkippedOnPurpose.Count} skipped on purpose");
        foreach (var part in parts) text.Append(", ").Append(part);
        text.Append('.');
        foreach (var hint in Hints()) text.Append(' ').Append(hint);
        return text.ToString();
    }

    /// <summary>A one-line summary of the counts.</summary>
    /// <returns>For example <c>4 loaded, 0 missing, 0 unexpected, 0 shape mismatches, 0 type mismatches, 2 skipped</c>.</returns>
    public override string ToString()
        => $"{Loaded.Count} loaded, {Missing.Count} missing, {Unexpected.Count} unexpected, {ShapeMismatches.Count} shape mismatches, " +
           $"{DTypeMismatches.Count} type mismatches, {SkippedOnPurpose.Count} skipped";

    private IEnumerable<string> Hints()
    {
        var missing = new HashSet<string>(Missing, StringComparer.Ordinal);
        var strip = CommonFirstSegment(Unexpected);
        if (strip is not null && Unexpected.Any(k => missing.Contains(k[strip.Length..])))
        {
            string what = strip == "module." ? " (a DataParallel/DistributedDataParallel checkpoint)" : "";
            yield return $"The unexpected keys start with \"{strip}\"{what}: use the mapping KeyMapping.StripPrefix(\"{strip}\").";
        }
        var add = CommonFirstSegment(Missing);
        if (add is not null && Missing.Any(k => Unexpected.Contains(k[add.Length..], StringComparer.Ordinal)))
            yield return $"The network's keys start with \"{add}\" and the checkpoint's do not: use the mapping KeyMapping.AddPrefix(\"{add}\").";
        if (ShapeMismatches.Count > 0)
            yield return "If the mismatched keys are the classification head (another class count), set ImportOptions.ReinitializeHead = true and list them in HeadKeys.";
        if ((Missing.Count > 0 || Unexpected.Count > 0) && ShapeMismatches.Count == 0 && DTypeMismatches.Count == 0)
            yield return "To load the matching keys anyway, set ImportOptions.AllowPartial = true.";
    }

    private static string? CommonFirstSegment(IReadOnlyList<string> keys)
    {
        if (keys.Count == 0) return null;
        int dot = keys[0].IndexOf('.');
        if (dot <= 0) return null;
        string prefix = keys[0][..(dot + 1)];
        return keys.All(k => k.StartsWith(prefix, StringComparison.Ordinal) && k.Length > prefix.Length) ? prefix : null;
    }

    private static string List(IReadOnlyList<string> keys, int max)
        => string.Join(", ", keys.Take(max)) + (keys.Count > max ? $", … {keys.Count - max} more" : "");
}
