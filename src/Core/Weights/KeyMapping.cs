using System.Text.RegularExpressions;

namespace MLNetVideo.Weights;

/// <summary>
/// A declarative, ordered list of rules that turns checkpoint keys (and, where needed, tensors) into the names and shapes a
/// TorchSharp network expects: strip or add a prefix, rename, split a fused tensor, transpose or reshape, drop, create.
/// </summary>
/// <remarks>
/// <para>Rules run in order, each over every key. Patterns are .NET regular expressions matched against the whole key
/// (they are anchored for you); replacements use <c>$1</c>-style groups. A rule that maps two keys to the same name throws
/// an <see cref="InvalidDataException"/> naming both.</para>
/// <example><code language="csharp">
/// // OpenAI CLIP → a network with separate q/k/v projections:
/// var mapping = KeyMapping.StripPrefix("visual.")
///     .Then(KeyMapping.Split(@"(.*)\.attn\.in_proj_(weight|bias)", ["$1.attn.q_proj.$2", "$1.attn.k_proj.$2", "$1.attn.v_proj.$2"]))
///     .Then(KeyMapping.RenameRegex(@"(.*)\.mlp\.c_fc\.(.*)", "$1.mlp.fc1.$2"))
///     .Then(KeyMapping.Drop(@"input_resolution|context_length|vocab_size"));
/// </code></example>
/// </remarks>
public sealed class KeyMapping
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromSeconds(2);
    private readonly IReadOnlyList<Rule> _rules;

    private KeyMapping(IReadOnlyList<Rule> rules) => _rules = rules;

    /// <summary>The mapping that keeps every key and tensor as it is.</summary>
    public static KeyMapping Identity { get; } = new([]);

    /// <summary>Removes <paramref name="prefix"/> from every key that starts with it (for example <c>module.</c> from a
    /// DataParallel checkpoint); other keys are kept.</summary>
    /// <param name="prefix">The prefix, usually ending with a dot.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping StripPrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return Single(new RenameRule($"StripPrefix(\"{prefix}\")",
            key => key.StartsWith(prefix, StringComparison.Ordinal) && key.Length > prefix.Length ? key[prefix.Length..] : key));
    }

    /// <summary>Puts <paramref name="prefix"/> in front of every key.</summary>
    /// <param name="prefix">The prefix, usually ending with a dot.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping AddPrefix(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        return Single(new RenameRule($"AddPrefix(\"{prefix}\")", key => prefix + key));
    }

    /// <summary>Renames one exact key; other keys are kept.</summary>
    /// <param name="from">The source key.</param>
    /// <param name="to">The new key.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Rename(string from, string to)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        return Single(new RenameRule($"Rename(\"{from}\" → \"{to}\")", key => key == from ? to : key));
    }

    /// <summary>Renames every key that matches <paramref name="pattern"/>; other keys are kept.</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <param name="replacement">The new key, with <c>$1</c>-style group references.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping RenameRegex(string pattern, string replacement)
    {
        var regex = Anchored(pattern);
        ArgumentNullException.ThrowIfNull(replacement);
        return Single(new RenameRule($"RenameRegex(\"{pattern}\" → \"{replacement}\")",
            key => regex.IsMatch(key) ? regex.Replace(key, replacement) : key));
    }

    /// <summary>Splits every tensor whose key matches <paramref name="pattern"/> into equal parts along <paramref name="dim"/>,
    /// one per target (for example CLIP's fused <c>in_proj_weight</c> into q, k and v).</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <param name="targets">The new keys, in order, with <c>$1</c>-style group references; at least two.</param>
    /// <param name="dim">The dimension to split.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Split(string pattern, IReadOnlyList<string> targets, int dim = 0)
    {
        var regex = Anchored(pattern);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count < 2)
            throw new ArgumentException("Split needs at least two target keys.", nameof(targets));
        var copy = targets.ToArray();
        return Single(new SplitRule($"Split(\"{pattern}\" → {string.Join(", ", copy.Select(t => $"\"{t}\""))}, dim: {dim})", regex, copy, dim));
    }

    /// <summary>Replaces every tensor whose key matches <paramref name="pattern"/> by <paramref name="transform"/>(tensor).</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <param name="transform">The conversion, for example a cast or a flatten.</param>
    /// <param name="description">A short name for messages and <see cref="ToString"/>.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Transform(string pattern, Func<TensorData, TensorData> transform, string description = "Transform")
    {
        var regex = Anchored(pattern);
        ArgumentNullException.ThrowIfNull(transform);
        return Single(new TransformRule($"{description}(\"{pattern}\")", regex, transform));
    }

    /// <summary>Transposes every 2-D tensor whose key matches <paramref name="pattern"/> (for example CLIP's <c>proj</c>, stored as
    /// x @ proj, into a Linear weight).</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Transpose(string pattern) => Transform(pattern, Transpose2D, "Transpose");

    /// <summary>Reshapes every tensor whose key matches <paramref name="pattern"/> to <paramref name="shape"/> (same element count,
    /// row-major; one dimension may be -1 and is inferred).</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <param name="shape">The new dimensions.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Reshape(string pattern, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var copy = shape.ToArray();
        return Transform(pattern, t => t.Reshape(Infer(copy, t.ElementCount)), $"Reshape[{string.Join(", ", copy)}]");
    }

    /// <summary>Flattens the dimensions from <paramref name="startDim"/> on, like PyTorch's <c>flatten(startDim)</c>, for every
    /// tensor whose key matches <paramref name="pattern"/> (for example a patch-embedding convolution turned into a Linear).</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <param name="startDim">The first dimension to merge; must exist in each matching tensor.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Flatten(string pattern, int startDim = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(startDim);
        return Transform(pattern, t =>
        {
            if (startDim >= t.Shape.Count)
                throw new ArgumentException($"Cannot flatten from dimension {startDim} a tensor of shape {TensorData.FormatShape(t.Shape)}.");
            var shape = t.Shape.Take(startDim).Append(t.Shape.Skip(startDim).Aggregate(1L, (a, b) => a * b)).ToArray();
            return t.Reshape(shape);
        }, $"Flatten[{startDim}]");
    }

    /// <summary>Removes every key that matches <paramref name="pattern"/>; the import report lists them as skipped on purpose.</summary>
    /// <param name="pattern">A regular expression matched against the whole key.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Drop(string pattern) => Single(new DropRule($"Drop(\"{pattern}\")", Anchored(pattern)));

    /// <summary>Adds a tensor the checkpoint does not have, computed from the tensors mapped so far (for example a zero bias).</summary>
    /// <param name="key">The new key; it must not exist yet.</param>
    /// <param name="factory">Builds the tensor from the current tensors.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping Create(string key, Func<IReadOnlyDictionary<string, TensorData>, TensorData> factory)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(factory);
        return Single(new CreateRule($"Create(\"{key}\")", key, factory));
    }

    /// <summary>This mapping followed by <paramref name="next"/>.</summary>
    /// <param name="next">Rules to run after this mapping's rules.</param>
    /// <returns>The combined mapping.</returns>
    public KeyMapping Then(KeyMapping next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new KeyMapping([.. _rules, .. next._rules]);
    }

    /// <summary>Runs the rules over <paramref name="source"/>; the source is not changed.</summary>
    /// <param name="source">Tensors by checkpoint key.</param>
    /// <returns>The renamed and converted tensors, the dropped keys and each new key's origin.</returns>
    /// <exception cref="InvalidDataException">Two keys map to the same name, or a tensor cannot be converted.</exception>
    public KeyMappingResult Apply(IReadOnlyDictionary<string, TensorData> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var current = source.Select(kv => new Item(kv.Key, kv.Value, kv.Key)).ToList();
        var dropped = new List<string>();
        foreach (var rule in _rules)
        {
            var next = new List<Item>(current.Count);
            try
            {
                rule.Apply(current, next, dropped);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Key mapping rule {rule.Description} cannot convert the checkpoint: {e.Message}", e);
            }
            var seen = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in next)
            {
                if (!seen.TryAdd(item.Key, item.Origin))
                    throw new InvalidDataException(
                        $"Key mapping rule {rule.Description} maps both '{seen[item.Key]}' and '{item.Origin}' to '{item.Key}'.");
            }
            current = next;
        }
        return new KeyMappingResult(
            current.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal),
            dropped,
            current.ToDictionary(i => i.Key, i => i.Origin, StringComparer.Ordinal));
    }

    /// <summary>The rules in order, for example <c>StripPrefix("module.") → Drop("fc\..*")</c>; <c>Identity</c> when empty.</summary>
    /// <returns>A readable description.</returns>
    public override string ToString() => _rules.Count == 0 ? "Identity" : string.Join(" → ", _rules.Select(r => r.Description));

    private static KeyMapping Single(Rule rule) => new([rule]);

    private static Regex Anchored(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        return new Regex($"^(?:{pattern})$", RegexOptions.CultureInvariant, RegexTimeout);
    }

    private static long[] Infer(long[] shape, long count)
    {
        int unknown = Array.IndexOf(shape, -1L);
        if (unknown < 0) return shape;
        long known = 1;
        for (int i = 0; i < shape.Length; i++) if (i != unknown) known *= shape[i];
        var result = shape.ToArray();
        result[unknown] = known == 0 ? 0 : count / known;
        return result;
    }

    private static TensorData Transpose2D(TensorData t)
    {
        if (t.Shape.Count != 2)
            throw new ArgumentException($"Transpose needs a 2-D tensor; got {t}.");
        long rows = t.Shape[0], cols = t.Shape[1];
        int size = t.DType.ItemSize();
        var source = t.Bytes.Span;
        var result = new byte[source.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                source.Slice((int)((r * cols + c) * size), size).CopyTo(result.AsSpan((int)((c * rows + r) * size), size));
        return new TensorData(t.DType, [cols, rows], result);
    }

    private readonly record struct Item(string Key, TensorData Value, string Origin);

    private abstract class Rule(string description)
    {
        public string Description { get; } = description;

        public abstract void Apply(List<Item> current, List<Item> next, List<string> dropped);
    }

    private sealed class RenameRule(string description, Func<string, string> rename) : Rule(description)
    {
        public override void Apply(List<Item> current, List<Item> next, List<string> dropped)
        {
            foreach (var item in current) next.Add(item with { Key = rename(item.Key) });
        }
    }

    private sealed class SplitRule(string description, Regex regex, string[] targets, int dim) : Rule(description)
    {
        public override void Apply(List<Item> current, List<Item> next, List<string> dropped)
        {
            foreach (var item in current)
            {
                if (!regex.IsMatch(item.Key))
                {
                    next.Add(item);
                    continue;
                }
                var parts = item.Value.Chunk(targets.Length, dim);
                for (int i = 0; i < parts.Length; i++)
                    next.Add(new Item(regex.Replace(item.Key, targets[i]), parts[i], item.Origin));
            }
        }
    }

    private sealed class TransformRule(string description, Regex regex, Func<TensorData, TensorData> transform) : Rule(description)
    {
        public override void Apply(List<Item> current, List<Item> next, List<string> dropped)
        {
            foreach (var item in current)
            {
                if (!regex.IsMatch(item.Key))
                {
                    next.Add(item);
                    continue;
                }
                var converted = transform(item.Value)
                    ?? throw new ArgumentException($"The conversion returned nothing for '{item.Key}'.");
                next.Add(item with { Value = converted });
            }
        }
    }

    private sealed class DropRule(string description, Regex regex) : Rule(description)
    {
        public override void Apply(List<Item> current, List<Item> next, List<string> dropped)
        {
            foreach (var item in current)
            {
                if (regex.IsMatch(item.Key)) dropped.Add(item.Origin);
                else next.Add(item);
            }
        }
    }

    private sealed class CreateRule(string description, string key, Func<IReadOnlyDictionary<string, TensorData>, TensorData> factory) : Rule(description)
    {
        public override void Apply(List<Item> current, List<Item> next, List<string> dropped)
        {
            next.AddRange(current);
            var view = current.ToDictionary(i => i.Key, i => i.Value, StringComparer.Ordinal);
            var created = factory(view) ?? throw new ArgumentException($"The factory returned nothing for '{key}'.");
            next.Add(new Item(key, created, key));
        }
    }
}
