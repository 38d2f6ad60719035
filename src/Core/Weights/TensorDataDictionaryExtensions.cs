using TorchSharp;

namespace MLNetVideo.Weights;

/// <summary>Helpers for dictionaries of <see cref="TensorData"/>, such as those the weight readers return.</summary>
public static class TensorDataDictionaryExtensions
{
    /// <summary>The entries whose key starts with <paramref name="prefix"/>, with the prefix removed, for example the
    /// <c>model.</c> part of a golden file that also holds <c>input</c> and <c>logits</c>.</summary>
    /// <param name="tensors">The tensors.</param>
    /// <param name="prefix">The prefix, usually ending with a dot.</param>
    /// <returns>A new dictionary in the source order; the tensors themselves are shared, not copied.</returns>
    public static IReadOnlyDictionary<string, TensorData> WithPrefix(this IReadOnlyDictionary<string, TensorData> tensors, string prefix)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (key, value) in tensors)
            if (key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length)
                result.Add(key[prefix.Length..], value);
        return result;
    }

    /// <summary>Creates a CPU TorchSharp tensor for every entry.</summary>
    /// <param name="tensors">The tensors.</param>
    /// <returns>New tensors by the same keys; the caller owns and disposes them.</returns>
    public static Dictionary<string, torch.Tensor> ToTensors(this IReadOnlyDictionary<string, TensorData> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var result = new Dictionary<string, torch.Tensor>(tensors.Count, StringComparer.Ordinal);
        try
        {
            foreach (var (key, value) in tensors) result.Add(key, value.ToTensor());
        }
        catch
        {
            foreach (var tensor in result.Values) tensor.Dispose();
            throw;
        }
        return result;
    }
}
