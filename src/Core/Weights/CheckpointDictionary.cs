using System.Collections;

namespace MLNetVideo.Weights;

/// <summary>
/// A Python <c>dict</c> or <c>collections.OrderedDict</c> read from a PyTorch checkpoint, in insertion order.
/// </summary>
/// <remarks>
/// Keys are <see cref="string"/>, <see cref="long"/>, <see cref="double"/>, <see cref="bool"/> or <see langword="null"/> (the
/// hashable values a checkpoint can hold). Values are <see langword="null"/> (None), <see cref="bool"/>, <see cref="long"/>,
/// <see cref="double"/>, <see cref="string"/>, <see cref="byte"/> arrays (bytes), <see cref="TensorData"/>, tuples as
/// <see cref="object"/> arrays, lists as <see cref="List{T}"/> of <see cref="object"/>, and nested dictionaries.
/// </remarks>
public sealed class CheckpointDictionary : IReadOnlyDictionary<object, object?>
{
    private static readonly object NullKey = new();
    private readonly List<object?> _keys = [];
    private readonly Dictionary<object, int> _index = [];
    private readonly List<object?> _values = [];
    private static readonly IReadOnlyDictionary<string, object?> NoAttributes = new Dictionary<string, object?>();
    private Dictionary<string, object?>? _attributes;   // created on first use: most dicts have none

    /// <summary>Python attributes set on the object after construction, for example the <c>_metadata</c> that
    /// <c>Module.state_dict()</c> attaches (per-module versions). Empty for plain dicts.</summary>
    public IReadOnlyDictionary<string, object?> Attributes => _attributes ?? NoAttributes;

    /// <inheritdoc/>
    public int Count => _keys.Count;

    /// <summary>The keys in insertion order (a <see langword="null"/> key appears as <see langword="null"/>).</summary>
    public IEnumerable<object> Keys => _keys.Select(k => k!);

    /// <inheritdoc/>
    public IEnumerable<object?> Values => _values;

    /// <inheritdoc/>
    public object? this[object key] => TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"The checkpoint dictionary has no key '{key}'.");

    /// <inheritdoc/>
    public bool ContainsKey(object key) => _index.ContainsKey(key ?? NullKey);

    /// <inheritdoc/>
    public bool TryGetValue(object key, out object? value)
    {
        if (_index.TryGetValue(key ?? NullKey, out int i))
        {
            value = _values[i];
            return true;
        }
        value = null;
        return false;
    }

    /// <inheritdoc/>
    public IEnumerator<KeyValuePair<object, object?>> GetEnumerator()
    {
        for (int i = 0; i < _keys.Count; i++)
            yield return new KeyValuePair<object, object?>(_keys[i]!, _values[i]);
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds or replaces a key, as Python's <c>d[key] = value</c> (a replaced key keeps its position).</summary>
    internal void Set(object? key, object? value)
    {
        var slot = key ?? NullKey;
        if (_index.TryGetValue(slot, out int i))
        {
            _values[i] = value;
            return;
        }
        _index.Add(slot, _keys.Count);
        _keys.Add(key);
        _values.Add(value);
    }

    internal void SetAttribute(string name, object? value)
        => (_attributes ??= new Dictionary<string, object?>(StringComparer.Ordinal))[name] = value;
}
