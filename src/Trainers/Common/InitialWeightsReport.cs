using System.Text;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// What importing <see cref="VideoTrainerOptionsBase.InitialWeights"/> did: the file, the container and key layout that
/// were detected, and which of the network's tensors were loaded, reshaped on the way, missing, unexpected or
/// re-initialised. Written to ML.NET's log by <c>Fit</c>.
/// </summary>
/// <param name="Path">The checkpoint file.</param>
/// <param name="Container">"safetensors", "PyTorch zip", "legacy torch.save" or "TorchScript archive".</param>
/// <param name="Entry">The wrapping dict entry the state dict was read from (<c>state_dict</c>, <c>model</c>), or null.</param>
/// <param name="Layout">The key layout that matched, for example "TSM (mit-han-lab/temporal-shift-module)".</param>
/// <param name="Loaded">Network keys that received a checkpoint tensor.</param>
/// <param name="Reshaped">Loaded keys whose tensor the layout reshaped (for example MoViNet stream 2-D kernels given a time axis).</param>
/// <param name="Missing">Network keys the file does not have that keep their initial value (only batch-norm
/// <c>num_batches_tracked</c> counters, which checkpoints older than PyTorch 0.4 lack).</param>
/// <param name="Unexpected">File keys the network has no place for (always empty after a successful import).</param>
/// <param name="ReinitializedHead">The classification head's keys when they were not loaded (another class count, or
/// not in the file): they keep the seeded random initialisation.</param>
/// <param name="CheckpointClasses">The class count of the file's head, when it has one.</param>
/// <param name="NumClasses">The class count of the data being trained.</param>
internal sealed record InitialWeightsReport(
    string Path,
    string Container,
    string? Entry,
    string Layout,
    IReadOnlyList<string> Loaded,
    IReadOnlyList<string> Reshaped,
    IReadOnlyList<string> Missing,
    IReadOnlyList<string> Unexpected,
    IReadOnlyList<string> ReinitializedHead,
    long? CheckpointClasses,
    int NumClasses)
{
    /// <summary>Whether the head was re-initialised rather than loaded.</summary>
    public bool HeadReinitialized => ReinitializedHead.Count > 0;

    /// <summary>One line of counts, for example <c>320 loaded (0 reshaped), 0 missing, 0 unexpected; head re-initialised
    /// (fc.weight, fc.bias): the checkpoint has 400 classes, the data 5</c>.</summary>
    /// <returns>The summary.</returns>
    public string Summary()
    {
        var text = new StringBuilder();
        text.Append($"{Loaded.Count} loaded ({Reshaped.Count} reshaped), {Missing.Count} missing, {Unexpected.Count} unexpected; ");
        if (!HeadReinitialized)
            text.Append($"head loaded ({NumClasses} classes)");
        else if (CheckpointClasses is { } classes)
            text.Append($"head re-initialised ({string.Join(", ", ReinitializedHead)}): the checkpoint has {classes} classes, the data {NumClasses}");
        else
            text.Append($"head re-initialised ({string.Join(", ", ReinitializedHead)}): the checkpoint has no classification head");
        return text.ToString();
    }

    /// <summary>The full report: file, container, layout, counts and every key by category.</summary>
    /// <returns>Several lines.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"Initial weights '{Path}': {Container}{(Entry is null ? "" : $", entry '{Entry}'")}, layout {Layout}. ").Append(Summary()).Append('.');
        Append(text, "Loaded", Loaded);
        Append(text, "Reshaped", Reshaped);
        Append(text, "Missing (kept at their initial value)", Missing);
        Append(text, "Unexpected", Unexpected);
        Append(text, "Re-initialised", ReinitializedHead);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string title, IReadOnlyList<string> keys)
    {
        if (keys.Count > 0)
            text.AppendLine().Append($"  {title} ({keys.Count}): {string.Join(", ", keys)}");
    }
}
