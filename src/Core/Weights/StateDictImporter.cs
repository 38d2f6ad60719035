using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Weights;

/// <summary>
/// Loads checkpoint tensors into a TorchSharp network by name: applies a <see cref="KeyMapping"/>, compares keys, shapes and
/// types with the network's <c>state_dict()</c>, refuses anything but an exact fit unless <see cref="ImportOptions"/> say
/// otherwise, copies under <c>no_grad</c>, and returns an <see cref="ImportReport"/>.
/// </summary>
/// <remarks>Checks are made before anything is copied, so a refused import leaves the network unchanged. Unlike TorchSharp's
/// <c>load_state_dict</c>, a broadcastable but different shape is never copied silently.</remarks>
public static class StateDictImporter
{
    /// <summary>Loads checkpoint tensors into <paramref name="target"/>.</summary>
    /// <param name="target">The network; its parameters and buffers are overwritten in place (any device).</param>
    /// <param name="source">Checkpoint tensors by key, for example from <see cref="SafeTensorsReader.ReadAll(string, WeightsReadLimits?)"/>.</param>
    /// <param name="mapping">Rules from checkpoint keys to network keys; <see langword="null"/> means <see cref="KeyMapping.Identity"/>.</param>
    /// <param name="options">Strictness; <see langword="null"/> means <see cref="ImportOptions.Exact"/>.</param>
    /// <param name="sourceName">The checkpoint's name for messages.</param>
    /// <returns>What was loaded, missing, unexpected and skipped.</returns>
    /// <exception cref="InvalidDataException">The checkpoint does not fit and the options do not allow it; the message lists keys
    /// per category and the likely fix. The network is unchanged.</exception>
    /// <exception cref="ArgumentException"><see cref="ImportOptions.ReinitializeHead"/> is set without valid <see cref="ImportOptions.HeadKeys"/>.</exception>
    public static ImportReport LoadInto(
        nn.Module target, IReadOnlyDictionary<string, TensorData> source, KeyMapping? mapping = null,
        ImportOptions? options = null, string sourceName = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(source);
        options ??= ImportOptions.Exact;
        var mapped = (mapping ?? KeyMapping.Identity).Apply(source);
        var destination = target.state_dict();   // live parameters and buffers: never dispose these
        var report = Compare(destination, mapped, options);
        string targetName = target.GetType().Name;

        if (report.ShapeMismatches.Count > 0 || report.DTypeMismatches.Count > 0 || (!report.IsExact && !options.AllowPartial))
            throw new InvalidDataException(report.Describe(sourceName, targetName));
        int loadable = destination.Count - (options.ReinitializeHead ? options.HeadKeys.Count : 0);
        if (report.Loaded.Count == 0 && loadable > 0 && mapped.Tensors.Count > 0)
            throw new InvalidDataException($"No key of checkpoint '{sourceName}' matches {targetName}, even partially. " + report.Describe(sourceName, targetName));

        using (torch.no_grad())
        {
            foreach (var key in report.Loaded)
            {
                using var value = mapped.Tensors[key].ToTensor();
                destination[key].copy_(value);
            }
            if (options.ReinitializeHead && options.HeadInitializer is not null)
                foreach (var key in options.HeadKeys)
                    options.HeadInitializer(key, destination[key]);
        }
        return report;
    }

    /// <summary>Loads TorchSharp tensors (for example another network's <c>state_dict()</c>) into <paramref name="target"/>.</summary>
    /// <param name="target">The network; its parameters and buffers are overwritten in place.</param>
    /// <param name="source">Tensors by key; they are copied, not changed or disposed.</param>
    /// <param name="mapping">Rules from source keys to network keys; <see langword="null"/> means <see cref="KeyMapping.Identity"/>.</param>
    /// <param name="options">Strictness; <see langword="null"/> means <see cref="ImportOptions.Exact"/>.</param>
    /// <param name="sourceName">The source's name for messages.</param>
    /// <returns>What was loaded, missing, unexpected and skipped.</returns>
    /// <exception cref="InvalidDataException">The source does not fit and the options do not allow it.</exception>
    public static ImportReport LoadInto(
        nn.Module target, IReadOnlyDictionary<string, Tensor> source, KeyMapping? mapping = null,
        ImportOptions? options = null, string sourceName = "state dict")
    {
        ArgumentNullException.ThrowIfNull(source);
        var data = source.ToDictionary(kv => kv.Key, kv => TensorData.FromTensor(kv.Value), StringComparer.Ordinal);
        return LoadInto(target, data, mapping, options, sourceName);
    }

    /// <summary>Reads a safetensors file or a PyTorch checkpoint (zip, legacy or TorchScript; told apart by content, not extension) and loads it into
    /// <paramref name="target"/>. For a PyTorch checkpoint the state dict is found as <see cref="PyTorchCheckpoint.GetStateDict"/> describes.</summary>
    /// <param name="target">The network.</param>
    /// <param name="path">The weights file.</param>
    /// <param name="mapping">Rules from checkpoint keys to network keys; <see langword="null"/> means <see cref="KeyMapping.Identity"/>.</param>
    /// <param name="options">Strictness; <see langword="null"/> means <see cref="ImportOptions.Exact"/>.</param>
    /// <param name="limits">Reader bounds; <see langword="null"/> means <see cref="WeightsReadLimits.Default"/>.</param>
    /// <returns>What was loaded, missing, unexpected and skipped.</returns>
    /// <exception cref="InvalidDataException">The file is damaged or unsafe, or it does not fit the network.</exception>
    public static ImportReport LoadFile(
        nn.Module target, string path, KeyMapping? mapping = null, ImportOptions? options = null, WeightsReadLimits? limits = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        return LoadInto(target, WeightsFile.ReadStateDict(path, limits: limits), mapping, options, path);
    }

    private static ImportReport Compare(Dictionary<string, Tensor> destination, KeyMappingResult mapped, ImportOptions options)
    {
        var head = new HashSet<string>(StringComparer.Ordinal);
        if (options.ReinitializeHead)
        {
            if (options.HeadKeys.Count == 0)
                throw new ArgumentException("ImportOptions.ReinitializeHead is set but HeadKeys is empty; list the head's state-dict keys.", nameof(options));
            var unknown = options.HeadKeys.Where(k => !destination.ContainsKey(k)).ToList();
            if (unknown.Count > 0)
                throw new ArgumentException(
                    $"ImportOptions.HeadKeys names keys the network does not have: {string.Join(", ", unknown)}. Its keys include: {string.Join(", ", destination.Keys.Take(8))}.",
                    nameof(options));
            head.UnionWith(options.HeadKeys);
        }

        var loaded = new List<string>();
        var missing = new List<string>();
        var shapes = new List<ShapeMismatch>();
        var types = new List<DTypeMismatch>();
        var skipped = new List<string>(mapped.Dropped);
        foreach (var (key, tensor) in destination)
        {
            if (head.Contains(key))
            {
                skipped.Add(key);
                continue;
            }
            if (!mapped.Tensors.TryGetValue(key, out var value))
            {
                missing.Add(key);
                continue;
            }
            if (!tensor.shape.AsSpan().SequenceEqual(value.Shape.ToArray()))
            {
                shapes.Add(new ShapeMismatch(key, tensor.shape, value.Shape));
                continue;
            }
            var expected = TensorDTypes.FromScalarType(tensor.dtype);
            if (expected != value.DType && !(options.AllowFloatConversion && expected.IsFloatingPoint() && value.DType.IsFloatingPoint()))
            {
                types.Add(new DTypeMismatch(key, expected, value.DType));
                continue;
            }
            loaded.Add(key);
        }
        var unexpected = mapped.Tensors.Keys.Where(k => !destination.ContainsKey(k) && !head.Contains(k)).ToList();
        return new ImportReport(loaded, missing, unexpected, shapes, types, skipped);
    }
}
