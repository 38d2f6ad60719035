using System.Globalization;
using System.Text.Json;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Onnx;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>
/// Writes a CLIP image tower as an ONNX graph that the ONNX route (<c>mlContext.Transforms.FeaturizeVideoWithOnnxClip</c>)
/// can run, without Python: from a CLIP safetensors (or PyTorch) file, or from the tower of a fitted
/// <see cref="ClipFeaturizingTransformer"/> (<c>mlContext.Transforms.FeaturizeVideoWithClip</c>); deploy with ONNX Runtime.
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

    /// <summary>Exports the tower of a fitted CLIP featurizer (its weights, preprocessing and weights checksum) to
    /// <paramref name="onnxPath"/>: the graph <c>FeaturizeVideoWithOnnxClip</c> reads to compute the same features with ONNX
    /// Runtime.</summary>
    /// <param name="featurizer">A fitted (or loaded) CLIP featurizer.</param>
    /// <param name="onnxPath">The .onnx file to write (replaced if present).</param>
    /// <exception cref="ObjectDisposedException">The featurizer is disposed.</exception>
    public static void Export(ClipFeaturizingTransformer featurizer, string onnxPath)
    {
        ArgumentNullException.ThrowIfNull(featurizer);
        Export(featurizer.Network, onnxPath, featurizer.Preprocessing, featurizer.WeightsSha256);
    }

    /// <summary>Exports a tower (its current weights) to <paramref name="onnxPath"/> (the in-memory ONNX tower, tests and
    /// benchmarks).</summary>
    internal static void Export(ClipVisionNetwork network, string onnxPath, ClipPreprocessing? preprocessing = null)
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
        var graph = new OnnxGraph();
        graph.Input(InputName, -1, 3, spec.ImageSize, spec.ImageSize);
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

        graph.Save(onnxPath, $"clip_{spec.Variant}_vision", metadata, Opset);
    }

    private static void Build(OnnxGraph g, ClipVisionSpec spec, Func<string, Tensor> weight)
    {
        long w = spec.Width, heads = spec.Heads, d = w / heads, p = spec.PatchSize;
        string Param(string name, bool transpose = false)
        {
            var t = weight(name).detach().to(ScalarType.Float32).cpu();
            if (transpose) t = t.t();
            return g.Weight(name + (transpose ? ".T" : ""), t.contiguous());
        }
        string Linear(string x, string prefix, string? output = null)
            => g.Node("Add", [g.Node("MatMul", [x, Param(prefix + ".weight", transpose: true)]), Param(prefix + ".bias")], output);
        string LayerNorm(string x, string prefix)
            => g.Node("LayerNormalization", [x, Param(prefix + ".weight"), Param(prefix + ".bias")], null,
                ("axis", -1L), ("epsilon", 1e-5f));

        // Patch embedding and class token: [N, 3, S, S] → [N, tokens, W].
        var patches = g.Node("Conv", [InputName, Param("conv1.weight")], null, ("kernel_shape", new[] { p, p }), ("strides", new[] { p, p }));
        var flat = g.Node("Reshape", [patches, g.Int64s(0, w, -1)]);
        var tokens = g.Node("Transpose", [flat], null, ("perm", new long[] { 0, 2, 1 }));
        var batch = g.Node("Gather", [g.Node("Shape", [tokens]), g.Int64s(0)], null, ("axis", 0L));
        var clsShape = g.Node("Concat", [batch, g.Int64s(1, w)], null, ("axis", 0L));
        var clsToken = g.Node("Expand", [g.Weight("class_embedding.view", weight("class_embedding").detach().cpu().view(1, 1, w).contiguous()), clsShape]);
        var embedded = g.Node("Add", [g.Node("Concat", [clsToken, tokens], null, ("axis", 1L)), Param("positional_embedding")]);
        var x = LayerNorm(embedded, "ln_pre");

        var headsShape = g.Int64s(0, 0, heads, d);
        var widthShape = g.Int64s(0, 0, w);
        var scale = g.Scalar((float)(1.0 / Math.Sqrt(d)));
        var geluScale = g.Scalar(1.702f);
        for (int i = 0; i < spec.Layers; i++)
        {
            string b = $"transformer.resblocks.{i}";
            var h = LayerNorm(x, b + ".ln_1");
            var inW = weight(b + ".attn.in_proj_weight").detach().cpu();
            var inB = weight(b + ".attn.in_proj_bias").detach().cpu();
            string Projection(int part, string? output)
            {
                var pw = g.Weight($"{b}.attn.{"qkv"[part]}_proj.weight.T", inW.narrow(0, part * w, w).t().contiguous());
                var pb = g.Weight($"{b}.attn.{"qkv"[part]}_proj.bias", inB.narrow(0, part * w, w).contiguous());
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
        var cls = g.Node("Gather", [x, g.Int64Scalar(0)], null, ("axis", 1L));
        g.Node("MatMul", [LayerNorm(cls, "ln_post"), Param("proj")], EmbeddingOutputName);
        g.Output(EmbeddingOutputName, [-1, spec.OutputDim]);
    }
}
