using System.Text.RegularExpressions;

namespace MLNetVideo.Weights;

/// <summary>
/// An object of a TorchScript archive (<c>torch.jit.save</c>, for example OpenAI's CLIP <c>ViT-B-16.pt</c>) as an inert
/// record: its class name and the attributes its pickle sets (parameters and buffers as <see cref="TensorData"/>,
/// submodules as further records, plain values). No TorchScript code is read or run; the class name is only a label.
/// </summary>
public sealed partial class TorchScriptObject
{
    private readonly List<string> _names = [];
    private readonly Dictionary<string, object?> _attributes = new(StringComparer.Ordinal);

    internal TorchScriptObject(string className) => ClassName = className;

    /// <summary>The TorchScript class, for example <c>__torch__.clip.model.VisionTransformer</c>.</summary>
    public string ClassName { get; }

    /// <summary>The attributes in the order the pickle set them.</summary>
    public IReadOnlyDictionary<string, object?> Attributes => _names.ToDictionary(n => n, n => _attributes[n], StringComparer.Ordinal);

    /// <summary>Every tensor reachable through attributes, keyed by its dotted path (<c>visual.conv1.weight</c>): the
    /// module's <c>state_dict()</c> when, as in traced and scripted modules, its tensors are its parameters and buffers.</summary>
    /// <returns>Tensors in attribute order, depth first.</returns>
    public IReadOnlyDictionary<string, TensorData> Tensors()
    {
        var result = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        var seen = new HashSet<TorchScriptObject>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<(string Prefix, TorchScriptObject Node)>();
        pending.Push(("", this));
        while (pending.Count > 0)
        {
            var (prefix, node) = pending.Pop();
            if (!seen.Add(node)) continue;
            var children = new List<(string, TorchScriptObject)>();
            foreach (var name in node._names)
            {
                switch (node._attributes[name])
                {
                    case TensorData tensor:
                        result.TryAdd(prefix + name, tensor);
                        break;
                    case TorchScriptObject child:
                        children.Add((prefix + name + ".", child));
                        break;
                }
            }
            // Depth first in attribute order, as Module.state_dict() walks submodules.
            for (int i = children.Count - 1; i >= 0; i--) pending.Push(children[i]);
        }
        return result;
    }

    internal void Set(string name, object? value)
    {
        if (!_attributes.ContainsKey(name)) _names.Add(name);
        _attributes[name] = value;
    }

    /// <summary>Whether a pickled global names a TorchScript class: module <c>__torch__</c> or <c>__torch__.a.b</c> (with
    /// the mangled <c>___torch_mangle_N</c> parts TorchScript adds) and an identifier as the name.</summary>
    internal static bool IsClassName(string module, string name)
        => ModuleName().IsMatch(module) && Identifier().IsMatch(name);

    [GeneratedRegex(@"^__torch__(\.[A-Za-z_][A-Za-z0-9_]{0,127}){0,32}$", RegexOptions.CultureInvariant)]
    private static partial Regex ModuleName();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();
}
