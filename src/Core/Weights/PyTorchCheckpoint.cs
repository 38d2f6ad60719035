namespace MLNetVideo.Weights;

/// <summary>The content of a PyTorch <c>torch.save</c> checkpoint, read by <see cref="PyTorchCheckpointReader"/>.</summary>
public sealed class PyTorchCheckpoint
{
    private static readonly string[] CommonStateDictKeys = ["state_dict", "model", "model_state", "model_state_dict", "module", "net"];

    internal PyTorchCheckpoint(string sourceName, string archiveName, object? root)
    {
        SourceName = sourceName;
        ArchiveName = archiveName;
        Root = root;
    }

    /// <summary>The file the checkpoint was read from.</summary>
    public string SourceName { get; }

    /// <summary>The archive's top-level folder (the name of the file when it was saved, for example <c>pyload_test</c>).</summary>
    public string ArchiveName { get; }

    /// <summary>The saved object: usually a <see cref="CheckpointDictionary"/>; see its remarks for the value types.</summary>
    public object? Root { get; }

    /// <summary>Whether the file is a TorchScript archive (<c>torch.jit.save</c>): then <see cref="Root"/> is a
    /// <see cref="TorchScriptObject"/>.</summary>
    public bool IsTorchScript => Root is TorchScriptObject;

    /// <summary>
    /// The tensors of a state dict held by the checkpoint. With no <paramref name="entry"/>, the root is used when every value
    /// is a tensor; otherwise the first of <c>state_dict</c>, <c>model</c>, <c>model_state</c>, <c>model_state_dict</c>,
    /// <c>module</c> or <c>net</c> whose value is a dictionary of tensors. For a TorchScript archive, the tensors of the
    /// module (or of the submodule at <paramref name="entry"/>) keyed as its <c>state_dict()</c>.
    /// </summary>
    /// <param name="entry">A key of the root dictionary, or a path of keys separated by '/', for example <c>model</c>
    /// (for TorchScript, a submodule path such as <c>visual</c>).</param>
    /// <returns>Tensors by state-dict key, in the order they were saved.</returns>
    /// <exception cref="InvalidDataException">No such dictionary exists, or it holds values other than tensors.</exception>
    public IReadOnlyDictionary<string, TensorData> GetStateDict(string? entry = null)
    {
        if (Root is TorchScriptObject script)
            return ScriptStateDict(script, entry);
        if (entry is not null)
        {
            object? node = Root;
            foreach (var part in entry.Split('/'))
            {
                if (node is not CheckpointDictionary dict || !dict.TryGetValue(part, out node))
                    throw new InvalidDataException($"PyTorch checkpoint '{SourceName}' has no entry '{entry}'. {DescribeRoot()}");
            }
            if (node is not CheckpointDictionary selected)
                throw new InvalidDataException($"PyTorch checkpoint '{SourceName}': entry '{entry}' is not a dictionary of tensors.");
            var nonTensors = selected.Where(kv => kv.Value is not TensorData || kv.Key is not string).Select(kv => $"{kv.Key}").Take(5).ToList();
            if (nonTensors.Count > 0)
                throw new InvalidDataException(
                    $"PyTorch checkpoint '{SourceName}': entry '{entry}' holds values that are not tensors under keys {string.Join(", ", nonTensors)}.");
            return ToStateDict(selected);
        }

        if (Root is CheckpointDictionary root)
        {
            if (IsStateDict(root)) return ToStateDict(root);
            foreach (var key in CommonStateDictKeys)
                if (root.TryGetValue(key, out var value) && value is CheckpointDictionary nested && IsStateDict(nested))
                    return ToStateDict(nested);
        }
        throw new InvalidDataException($"PyTorch checkpoint '{SourceName}' holds no state dict at its root. {DescribeRoot()}");
    }

    private IReadOnlyDictionary<string, TensorData> ScriptStateDict(TorchScriptObject script, string? entry)
    {
        var node = script;
        foreach (var part in entry?.Split('/', '.') ?? [])
        {
            if (!node.Attributes.TryGetValue(part, out var child) || child is not TorchScriptObject module)
                throw new InvalidDataException($"TorchScript archive '{SourceName}' has no submodule '{entry}'.");
            node = module;
        }
        var tensors = node.Tensors();
        if (tensors.Count == 0)
            throw new InvalidDataException($"TorchScript archive '{SourceName}' holds no tensors{(entry is null ? "" : $" under '{entry}'")}.");
        return tensors;
    }

    private string DescribeRoot() => Root is CheckpointDictionary dict
        ? $"Its top-level keys are: {string.Join(", ", dict.Keys.Take(10).Select(k => $"'{k}'"))}{(dict.Count > 10 ? ", …" : "")}; pass one as the entry."
        : $"Its root is not a dictionary.";

    private static bool IsStateDict(CheckpointDictionary dict)
        => dict.Count > 0 && dict.All(kv => kv.Key is string && kv.Value is TensorData);

    private static Dictionary<string, TensorData> ToStateDict(CheckpointDictionary dict)
    {
        var result = new Dictionary<string, TensorData>(dict.Count, StringComparer.Ordinal);
        foreach (var (key, value) in dict) result.Add((string)key, (TensorData)value!);
        return result;
    }
}
