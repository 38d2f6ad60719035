using MLNetVideo.Weights;

namespace MLNetVideo.Tests.OfficialFixtures;

/// <summary>
/// Writes a TorchScript archive as <c>torch.jit.save</c> lays it out (OpenAI's CLIP <c>ViT-B-16.pt</c> is one): a zip with
/// <c>{name}/data.pkl</c> holding the module tree as <c>__torch__</c> objects (GLOBAL class, EMPTY_TUPLE, NEWOBJ, then a
/// dict of attributes and BUILD), tensors through <c>torch._utils._rebuild_tensor_v2</c> over <c>{name}/data/N</c>,
/// <c>code/</c> entries with the TorchScript source, <c>constants.pkl</c> and <c>version</c>. The code written here is a
/// placeholder: readers of weights must never need it.
/// </summary>
internal static class TorchScriptArchiveWriter
{
    public static void Write(string path, IReadOnlyList<KeyValuePair<string, TensorData>> tensors, string archive = "ViT-B-16")
    {
        var root = new Node("__torch__.clip.model", "CLIP");
        foreach (var (key, tensor) in tensors)
        {
            var parts = key.Split('.');
            var node = root;
            for (int i = 0; i < parts.Length - 1; i++)
                node = node.Child(parts[i]);
            node.Items.Add(new(parts[^1], tensor));
        }
        var storages = new List<TensorData>();
        var pickle = new PickleWriter();
        WriteNode(pickle, root, storages);
        var constants = new PickleWriter();
        constants.EmptyTuple();
        var extra = new List<KeyValuePair<string, byte[]>>
        {
            new("code/__torch__/clip/model.py", "class CLIP(Module):\n  __parameters__ = []\n  def forward(self: __torch__.clip.model.CLIP) -> None:\n    os.system(\"never run\")\n"u8.ToArray()),
            new("constants.pkl", constants.Finish()),
        };
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        PyTorchCheckpointWriter.WriteZip(stream, pickle.Finish(), storages, archive, extra);
    }

    private static void WriteNode(PickleWriter p, Node node, List<TensorData> storages)
    {
        p.Global(node.Module, node.Name);
        p.EmptyTuple();
        p.NewObj();
        p.EmptyDict();
        p.Mark();
        p.String("training");
        p.Bool(false);
        foreach (var (name, value) in node.Items)
        {
            p.String(name);
            if (value is Node child) WriteNode(p, child, storages);
            else PyTorchCheckpointWriter.WriteTensor(p, (TensorData)value, storages, legacy: false);
        }
        p.SetItems();
        p.Build();
    }

    private sealed class Node(string module, string name)
    {
        public string Module { get; } = module;

        public string Name { get; } = name;

        public List<KeyValuePair<string, object>> Items { get; } = [];

        public Node Child(string name)
        {
            foreach (var (n, v) in Items)
                if (n == name && v is Node existing) return existing;
            // Submodules get TorchScript's mangled generic names, as traced modules do.
            var child = new Node($"__torch__.torch.nn.modules.module.___torch_mangle_{Items.Count}", "Module");
            Items.Add(new(name, child));
            return child;
        }
    }
}
