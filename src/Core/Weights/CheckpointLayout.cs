using TorchSharp;

namespace MLNetVideo.Weights;

/// <summary>
/// How one published checkpoint stores a network: where its state dict sits in the file, how its keys map onto the
/// network's, and how to recognise it from its keys. Each family describes its official checkpoints with these
/// (for example <c>TsmWeights.Official</c>); <see cref="Load"/> reads any container the weight readers understand.
/// </summary>
/// <param name="Name">A short name for messages, for example "TSM reference (mit-han-lab)".</param>
/// <param name="Entry">The key (or '/'-separated key path) of the state dict inside a wrapping dict, for example
/// <c>state_dict</c>; <see langword="null"/> to find it as <see cref="PyTorchCheckpoint.GetStateDict"/> does.</param>
/// <param name="Mapping">Checkpoint keys → network keys.</param>
/// <param name="Marker">A key (after the mapping's own prefixes are ignored) that only this layout has; used by <see cref="Matches"/>.</param>
public sealed record CheckpointLayout(string Name, string? Entry, KeyMapping Mapping, string Marker)
{
    /// <summary>Whether a checkpoint's keys look like this layout: some key equals <see cref="Marker"/> or ends with
    /// "." + <see cref="Marker"/> (DataParallel and wrapper prefixes).</summary>
    /// <param name="keys">The checkpoint's state-dict keys.</param>
    /// <returns>True when the marker key is present.</returns>
    public bool Matches(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return keys.Any(k => k == Marker || k.EndsWith("." + Marker, StringComparison.Ordinal));
    }

    /// <summary>Reads the state dict of a checkpoint file in this layout (safetensors, PyTorch zip, legacy or TorchScript).</summary>
    /// <param name="path">The file.</param>
    /// <param name="limits">Reader bounds; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>Tensors by checkpoint key.</returns>
    public IReadOnlyDictionary<string, TensorData> Read(string path, WeightsReadLimits? limits = null)
        => WeightsFile.ReadStateDict(path, Entry, limits);

    /// <summary>Reads a checkpoint in this layout and loads it into <paramref name="network"/> (see <see cref="StateDictImporter"/>).</summary>
    /// <param name="network">The network; changed only when the import succeeds.</param>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="options">Strictness; <see langword="null"/> means exact.</param>
    /// <param name="limits">Reader bounds.</param>
    /// <returns>The import report.</returns>
    /// <exception cref="InvalidDataException">The file is damaged or unsafe, or it does not fit the network.</exception>
    public ImportReport Load(torch.nn.Module network, string path, ImportOptions? options = null, WeightsReadLimits? limits = null)
        => StateDictImporter.LoadInto(network, Read(path, limits), Mapping, options, path);
}
