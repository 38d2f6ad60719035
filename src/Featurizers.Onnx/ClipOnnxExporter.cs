using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using MLNetVideo.Featurizers.Clip;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>
/// Writes a CLIP image tower (<see cref="ClipVisionNetwork"/>) as an ONNX graph that the ONNX route
/// (<c>mlContext.Transforms.FeaturizeVideoWithOnnxClip</c>) can run, without Python: load a CLIP safetensors (or PyTorch)
/// file, export, deploy with ONNX Runtime.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// The graph (ONNX IR 8, opset 17, standard operators only: Conv, Reshape, Transpose, Shape, Gather, Concat, Expand, Add,
/// MatMul, Mul, Softmax, Sigmoid, LayerNormalization) has one input `images` [batch, 3, S, S] (normalised with the CLIP
/// mean/std) and these outputs, for every block i = 0..Layers−1:
///
/// | output | shape | what |
/// | -- | -- | -- |
/// | `block{i}_out` | [batch, tokens, W] | the block's output (before `ln_post`) |
/// | `block{i}_q`, `block{i}_k` | [batch, tokens, W] | the block's attention q and k, unscaled, heads concatenated |
/// | `image_embeds` | [batch, OutputDim] | `ln_post(CLS) @ proj`, the CLIP image embedding |
///
/// The model's metadata records `clip_variant`, `image_size`, `image_mean`, `image_std` (and `weights_sha256` when exported
/// from a file); the ONNX featurizer reads the preprocessing from it. Weights are stored as float32 initializers in the file
/// (ViT-B/16 ≈ 345 MB; ONNX's single-file limit is 2 GB, enough for ViT-L/14).
/// ]]></format>
/// </remarks>
public static class ClipOnnxExporter
{
    /// <summary>Name of the graph's image input.</summary>
    public const string InputName = "images";

    /// <summary>Name of the graph's image-embedding output.</summary>
    public const string EmbeddingOutputName = "image_embeds";

    /// <summary>The opset the exporter writes.</summary>
    public const int Opset = 17;

    /// <summary>Exports <paramref name="network"/> (its current weights) to <paramref name="onnxPath"/>.</summary>
    /// <param name="network">The tower.</param>
    /// <param name="onnxPath">The .onnx file to write (replaced if present).</param>
    /// <param name="preprocessing">Preprocessing to record in the metadata; null = the OpenAI values.</param>
    public static void Export(ClipVisionNetwork network, string onnxPath, ClipPreprocessing? preprocessing = null)
        => Export(network, onnxPath, preprocessing, weightsSha256: null);

    /// <summary>Loads a CLIP weights file (safetensors or PyTorch zip, OpenAI or Hugging Face layout, strictly) into a tower of
    /// <paramref name="variant"/> and exports it, with the preprocessing from the file's metadata.</summary>
    /// <param name="weightsPath">The CLIP weights.</param>
    /// <param name="variant">The tower the weights belong to.</param>
    /// <param name="onnxPath">The .onnx file to write.</param>
    /// <param name="layout">Key layout of the weights; Auto detects it.</param>
    /// <exception cref="InvalidDataException">The weights do not match the tower (the message lists what differs).</exception>
    public static void ExportFromWeights(string weightsPath, ClipVisionVariant variant, string onnxPath, ClipCheckpointLayout layout = ClipCheckpointLayout.Auto)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(weightsPath);
        if (!File.Exists(weightsPath))
            throw new FileNotFoundException($"The CLIP weights file '{weightsPath}' does not exist.", weightsPath);
        using var network = new ClipVisionNetwork(ClipVisionSpecs.Get(variant));
        var (_, preprocessing) = ClipWeights.Load(network, weightsPath, layout);
        Export(network, onnxPath, preprocessing, ClipFeaturizingTransformer.Sha256(weightsPath));
    }

    private static void Export(ClipVisionNetwork network, string onnxPath, ClipPreprocessing? preprocessing, string? weightsSha256)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(onnxPath);
        var spec = network.Spec;
        preprocessing ??= ClipPreprocessing.OpenAI(spec.ImageSize);
        var graph = new GraphBuilder();
        using (no_grad())
        using (NewDisposeScope())
        {
            var weights = network.state_dict();
            Build(graph, spec, name => weights[name]);
        }

        var metadata = new Dictionary<string, string>
        {
            ["clip_variant"] = spec.Variant.ToString(),
            ["image_size"] = spec.ImageSize.ToString(CultureInfo.InvariantCulture),
            ["image_mean"] = JsonSerializer.Serialize(preprocessing.Mean),
            ["image_std"] = JsonSerializer.Serialize(preprocessing.Std),
            ["layers"] = spec.Layers.ToString(CultureInfo.InvariantCulture),
        };
        if (weightsSha256 is not null) metadata["weights_sha256"] = weightsSha256;

        string? directory = Path.GetDirectoryName(Path.GetFullPath(onnxPath));
        if (directory is not null) Directory.CreateDirectory(directory);
        string temp = onnxPath + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            var header = new OnnxProtoWriter();
            header.Int64(1, 8);                                           // ir_version
            header.String(2, "MLNetVideo");                               // producer_name
            header.String(3, typeof(ClipOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0");
            header.Message(8, o => { o.String(1, ""); o.Int64(2, Opset); });   // opset_import
            foreach (var (key, value) in metadata)
                header.Message(14, e => { e.String(1, key); e.String(2, value); });   // metadata_props
            header.CopyTo(file);
            OnnxProtoWriter.WriteField(file, 7, graph.Encode($"clip_{spec.Variant}_vision", spec));   // graph
        }
        File.Move(temp, onnxPath, overwrite: true);
    }

    private static void Build(GraphBuilder g, ClipVisionSpec spec, Func<string, Tensor> weight)
    {
        long w = spec.Width, heads = spec.Heads, d = w / heads, p = spec.PatchSize;
        string Param(string name, bool transpose = false)
        {
            var t = weight(name).detach().to(ScalarType.Float32).cpu();
            if (transpose) t = t.t();
            return g.Initializer(name + (transpose ? ".T" : ""), t.contiguous());
        }
        string Linear(string x, string prefix, string? output = null)
            => g.Node("Add", [g.Node("MatMul", [x, Param(prefix + ".weight", transpose: true)]), Param(prefix + ".bias")], output);
        string LayerNorm(string x, string prefix)
            => g.Node("LayerNormalization", [x, Param(prefix + ".weight"), Param(prefix + ".bias")], null,
                ("axis", -1L), ("epsilon", 1e-5f));

        // Patch embedding and class token: [N, 3, S, S] → [N, tokens, W].
        var patches = g.Node("Conv", [InputName, Param("conv1.weight")], null, ("kernel_shape", new[] { p, p }), ("strides", new[] { p, p }));
        var flat = g.Node("Reshape", [patches, g.Int64s("shape_nw_minus1", [0, w, -1])]);
        var tokens = g.Node("Transpose", [flat], null, ("perm", new long[] { 0, 2, 1 }));
        var batch = g.Node("Gather", [g.Node("Shape", [tokens]), g.Int64s("index_0", [0])], null, ("axis", 0L));
        var clsShape = g.Node("Concat", [batch, g.Int64s("shape_1_w", [1, w])], null, ("axis", 0L));
        var clsToken = g.Node("Expand", [g.Initializer("class_embedding.view", weight("class_embedding").detach().cpu().view(1, 1, w).contiguous()), clsShape]);
        var embedded = g.Node("Add", [g.Node("Concat", [clsToken, tokens], null, ("axis", 1L)), Param("positional_embedding")]);
        var x = LayerNorm(embedded, "ln_pre");

        var headsShape = g.Int64s("shape_heads", [0, 0, heads, d]);
        var widthShape = g.Int64s("shape_width", [0, 0, w]);
        var scale = g.Scalar("attention_scale", (float)(1.0 / Math.Sqrt(d)));
        var geluScale = g.Scalar("quick_gelu_scale", 1.702f);
        for (int i = 0; i < spec.Layers; i++)
        {
            string b = $"transformer.resblocks.{i}";
            var h = LayerNorm(x, b + ".ln_1");
            var inW = weight(b + ".attn.in_proj_weight").detach().cpu();
            var inB = weight(b + ".attn.in_proj_bias").detach().cpu();
            string Projection(int part, string? output)
            {
                var pw = g.Initializer($"{b}.attn.{"qkv"[part]}_proj.weight.T", inW.narrow(0, part * w, w).t().contiguous());
                var pb = g.Initializer($"{b}.attn.{"qkv"[part]}_proj.bias", inB.narrow(0, part * w, w).contiguous());
                return g.Node("Add", [g.Node("MatMul", [h, pw]), pb], output);
            }
            var q = Projection(0, $"block{i}_q");
            var k = Projection(1, $"block{i}_k");
            var v = Projection(2, null);
            var qh = g.Node("Transpose", [g.Node("Reshape", [q, headsShape])], null, ("perm", new long[] { 0, 2, 1, 3 }));
            var kt = g.Node("Transpose", [g.Node("Reshape", [k, headsShape])], null, ("perm", new long[] { 0, 2, 3, 1 }));
            var vh = g.Node("Transpose", [g.Node("Reshape", [v, headsShape])], null, ("perm", new long[] { 0, 2, 1, 3 }));
            var scores = g.Node("Mul", [g.Node("MatMul", [qh, kt]), scale]);
            var attention = g.Node("Softmax", [scores], null, ("axis", -1L));
            var mixed = g.Node("Transpose", [g.Node("MatMul", [attention, vh])], null, ("perm", new long[] { 0, 2, 1, 3 }));
            var attended = Linear(g.Node("Reshape", [mixed, widthShape]), b + ".attn.out_proj");
            x = g.Node("Add", [x, attended]);
            var hidden = Linear(LayerNorm(x, b + ".ln_2"), b + ".mlp.c_fc");
            var gelu = g.Node("Mul", [hidden, g.Node("Sigmoid", [g.Node("Mul", [hidden, geluScale])])]);
            x = g.Node("Add", [x, Linear(gelu, b + ".mlp.c_proj")], $"block{i}_out");
            g.Output($"block{i}_out", [-1, spec.Tokens, w]);
            g.Output($"block{i}_q", [-1, spec.Tokens, w]);
            g.Output($"block{i}_k", [-1, spec.Tokens, w]);
        }
        var cls = g.Node("Gather", [x, g.Int64Scalar("index_cls", 0)], null, ("axis", 1L));
        g.Node("MatMul", [LayerNorm(cls, "ln_post"), Param("proj")], EmbeddingOutputName);
        g.Output(EmbeddingOutputName, [-1, spec.OutputDim]);
    }

    /// <summary>Collects nodes, initializers and outputs, then encodes a <c>GraphProto</c>.</summary>
    private sealed class GraphBuilder
    {
        private const int Float = 1, Int64Type = 7;
        private readonly OnnxProtoWriter _nodes = new();
        private readonly OnnxProtoWriter _initializers = new();
        private readonly List<(string Name, long[] Dims)> _outputs = [];
        private readonly HashSet<string> _names = [];
        private int _counter;

        public string Node(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attributes)
        {
            output ??= $"{op.ToLowerInvariant()}_{_counter}";
            string nodeName = $"n{_counter++}_{op}";
            _nodes.Message(1, n =>
            {
                foreach (var input in inputs) n.String(1, input);
                n.String(2, output);
                n.String(3, nodeName);
                n.String(4, op);
                foreach (var (name, value) in attributes)
                    n.Message(5, a =>
                    {
                        a.String(1, name);
                        switch (value)
                        {
                            case float f: a.Float(2, f); a.Int64(20, 1); break;
                            case long l: a.Int64(3, l); a.Int64(20, 2); break;
                            case long[] list:
                                foreach (long item in list) a.Int64(8, item);
                                a.Int64(20, 7);
                                break;
                            default: throw new ArgumentException($"Unsupported attribute {name}.");
                        }
                    });
            });
            return output;
        }

        public string Initializer(string name, Tensor value)
        {
            var data = value.data<float>().ToArray();
            return Add(name, [.. value.shape], Float, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        }

        public string Int64s(string name, long[] values) => Add(name, [values.Length], Int64Type, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

        public string Int64Scalar(string name, long value) => Add(name, [], Int64Type, BitConverter.GetBytes(value));

        public string Scalar(string name, float value) => Add(name, [], Float, BitConverter.GetBytes(value));

        private string Add(string name, long[] dims, int type, byte[] raw)
        {
            if (!_names.Add(name)) return name;
            if (!BitConverter.IsLittleEndian)
                throw new PlatformNotSupportedException("The ONNX exporter writes little-endian raw data only.");
            _initializers.Message(5, t =>
            {
                foreach (long dim in dims) t.Int64(1, dim);
                t.Int64(2, type);
                t.String(8, name);
                t.Bytes(9, raw);
            });
            return name;
        }

        public void Output(string name, long[] dims) => _outputs.Add((name, dims));

        /// <summary>The GraphProto's fields, in parts (nodes, initializers, the rest) so the large ones are not copied again.</summary>
        public OnnxProtoWriter[] Encode(string graphName, ClipVisionSpec spec)
        {
            var rest = new OnnxProtoWriter();
            rest.String(2, graphName);
            rest.Message(11, v => ValueInfo(v, InputName, [-1, 3, spec.ImageSize, spec.ImageSize]));
            foreach (var (name, dims) in _outputs)
                rest.Message(12, v => ValueInfo(v, name, dims));
            return [_nodes, _initializers, rest];
        }

        private static void ValueInfo(OnnxProtoWriter v, string name, long[] dims)
        {
            v.String(1, name);
            v.Message(2, type => type.Message(1, tensor =>
            {
                tensor.Int64(1, Float);
                tensor.Message(2, shape =>
                {
                    foreach (long dim in dims)
                        shape.Message(1, dimension =>
                        {
                            if (dim < 0) dimension.String(2, "batch");
                            else dimension.Int64(1, dim);
                        });
                });
            }));
        }
    }
}
