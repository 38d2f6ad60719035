using System.Globalization;
using System.Text.Json;
using MLNetVideo.Weights;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>The checkpoint layouts <see cref="ClipWeights"/> can import (openai/CLIP and Hugging Face CLIPVisionModel).</summary>
public enum ClipCheckpointLayout
{
    /// <summary>Decide from the keys: <c>vision_model.*</c> → Hugging Face, <c>visual.*</c> → OpenAI, else the network's own names.</summary>
    Auto,

    /// <summary>OpenAI <c>clip</c> package: <c>visual.conv1.weight</c>, <c>visual.transformer.resblocks.{i}.attn.in_proj_weight</c>, …</summary>
    OpenAI,

    /// <summary>Hugging Face <c>openai/clip-vit-*</c> (<c>CLIPModel</c> / <c>CLIPVisionModelWithProjection</c>): <c>vision_model.*</c>,
    /// separate q/k/v, <c>visual_projection.weight</c>.</summary>
    HuggingFace,

    /// <summary>The network's own names (OpenAI without <c>visual.</c>), as <see cref="ClipVisionNetwork"/>'s state dict.</summary>
    Native,
}

/// <summary>CLIP preprocessing: resize the short side (bicubic), centre crop, scale to [0, 1] inputs, then (x − mean) / std.</summary>
/// <param name="ImageSize">Crop side (and short side after resizing).</param>
/// <param name="Mean">Per-channel RGB mean.</param>
/// <param name="Std">Per-channel RGB standard deviation.</param>
public sealed record ClipPreprocessing(int ImageSize, float[] Mean, float[] Std)
{
    /// <summary>OpenAI CLIP mean (0.48145466, 0.4578275, 0.40821073).</summary>
    public static IReadOnlyList<float> OpenAIMean { get; } = [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>OpenAI CLIP std (0.26862954, 0.26130258, 0.27577711).</summary>
    public static IReadOnlyList<float> OpenAIStd { get; } = [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>The OpenAI preprocessing for a tower of <paramref name="imageSize"/> pixels.</summary>
    /// <param name="imageSize">Input side.</param>
    /// <returns>The preprocessing.</returns>
    public static ClipPreprocessing OpenAI(int imageSize) => new(imageSize, [.. OpenAIMean], [.. OpenAIStd]);

    /// <summary>Applies the preprocessing to frames [N, 3, H, W] with values in [0, 1]: when the frames are not already
    /// <see cref="ImageSize"/>², resizes the short side to it (bicubic) and centre crops; then (x − mean) / std.</summary>
    /// <param name="frames">The frames.</param>
    /// <param name="preprocessing">The preprocessing.</param>
    /// <returns>Normalised images [N, 3, ImageSize, ImageSize] on the frames' device.</returns>
    public static TorchSharp.torch.Tensor Apply(TorchSharp.torch.Tensor frames, ClipPreprocessing preprocessing)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(preprocessing);
        var x = frames;
        int size = preprocessing.ImageSize;
        long h = x.shape[2], w = x.shape[3];
        if (h != size || w != size)
        {
            double scale = (double)size / Math.Min(h, w);
            long nh = Math.Max(size, (long)Math.Round(h * scale)), nw = Math.Max(size, (long)Math.Round(w * scale));
            if (nh != h || nw != w)
                x = TorchSharp.torch.nn.functional.interpolate(x, [nh, nw], mode: TorchSharp.torch.InterpolationMode.Bicubic, align_corners: false);
            long top = (nh - size) / 2, left = (nw - size) / 2;
            x = x.narrow(2, top, size).narrow(3, left, size);
        }
        var mean = TorchSharp.torch.tensor(preprocessing.Mean, device: x.device).view(1, 3, 1, 1);
        var std = TorchSharp.torch.tensor(preprocessing.Std, device: x.device).view(1, 3, 1, 1);
        return (x - mean) / std;
    }

    /// <summary>Reads preprocessing from weights metadata (safetensors <c>__metadata__</c>, or the fields of a Hugging Face
    /// <c>preprocessor_config.json</c>): keys <c>image_mean</c> and <c>image_std</c> (JSON arrays of 3 numbers) and
    /// <c>crop_size</c> (a number or <c>{"height": h, "width": w}</c>). Missing keys fall back to the OpenAI values.</summary>
    /// <param name="metadata">Metadata strings.</param>
    /// <param name="imageSize">The tower's input side (the default crop).</param>
    /// <returns>The preprocessing.</returns>
    /// <exception cref="InvalidDataException">A present key does not parse, or crop_size disagrees with the tower.</exception>
    public static ClipPreprocessing FromMetadata(IReadOnlyDictionary<string, string> metadata, int imageSize)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        float[] Triple(string key, IReadOnlyList<float> fallback)
        {
            if (!metadata.TryGetValue(key, out var text)) return [.. fallback];
            try
            {
                var values = JsonSerializer.Deserialize<float[]>(text);
                if (values is { Length: 3 } && (key != "image_std" || values.All(v => v > 0))) return values;
            }
            catch (JsonException)
            {
            }
            throw new InvalidDataException($"Weights metadata '{key}' must be a JSON array of 3 numbers (std > 0); got '{text}'.");
        }
        int crop = imageSize;
        if (metadata.TryGetValue("crop_size", out var cropText))
        {
            using var doc = JsonDocument.Parse(cropText);
            crop = doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.GetProperty("height").GetInt32()
                : int.Parse(cropText, CultureInfo.InvariantCulture);
            if (crop != imageSize)
                throw new InvalidDataException($"Weights metadata crop_size {crop} disagrees with the tower's input size {imageSize}.");
        }
        return new ClipPreprocessing(crop, Triple("image_mean", OpenAIMean), Triple("image_std", OpenAIStd));
    }
}

/// <summary>Key mappings from the public CLIP checkpoints to <see cref="ClipVisionNetwork"/> (openai/CLIP and Hugging Face CLIPVisionModel), and loading.</summary>
public static class ClipWeights
{
    /// <summary>OpenAI layout → network: strips <c>visual.</c> and drops the text tower and JIT extras.</summary>
    /// <returns>The mapping.</returns>
    public static KeyMapping FromOpenAI()
        => KeyMapping.Drop(@"(?!visual\.).*")
            .Then(KeyMapping.StripPrefix("visual."));

    /// <summary>Hugging Face layout → network: renames <c>vision_model.*</c>, fuses q/k/v into <c>in_proj_*</c> (rows q|k|v),
    /// transposes <c>visual_projection.weight</c> into <c>proj</c>, and drops the text tower and <c>position_ids</c>.</summary>
    /// <param name="layers">Number of blocks (the fused keys are created per block).</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping FromHuggingFace(int layers)
    {
        var m = KeyMapping.Drop(@"(?!vision_model\.|visual_projection\.).*|vision_model\.embeddings\.position_ids")
            .Then(KeyMapping.StripPrefix("vision_model."))
            .Then(KeyMapping.Rename("embeddings.class_embedding", "class_embedding"))
            .Then(KeyMapping.Rename("embeddings.patch_embedding.weight", "conv1.weight"))
            .Then(KeyMapping.Rename("embeddings.position_embedding.weight", "positional_embedding"))
            .Then(KeyMapping.RenameRegex(@"pre_layrnorm\.(.*)", "ln_pre.$1"))
            .Then(KeyMapping.RenameRegex(@"post_layernorm\.(.*)", "ln_post.$1"))
            .Then(KeyMapping.Rename("visual_projection.weight", "proj"))
            .Then(KeyMapping.Transpose("proj"))
            .Then(KeyMapping.RenameRegex(@"encoder\.layers\.(\d+)\.(.*)", "transformer.resblocks.$1.$2"))
            .Then(KeyMapping.RenameRegex(@"(transformer\.resblocks\.\d+)\.self_attn\.out_proj\.(.*)", "$1.attn.out_proj.$2"))
            .Then(KeyMapping.RenameRegex(@"(transformer\.resblocks\.\d+)\.layer_norm(\d)\.(.*)", "$1.ln_$2.$3"))
            .Then(KeyMapping.RenameRegex(@"(transformer\.resblocks\.\d+)\.mlp\.fc1\.(.*)", "$1.mlp.c_fc.$2"))
            .Then(KeyMapping.RenameRegex(@"(transformer\.resblocks\.\d+)\.mlp\.fc2\.(.*)", "$1.mlp.c_proj.$2"));
        for (int i = 0; i < layers; i++)
        {
            foreach (var kind in new[] { "weight", "bias" })
            {
                string prefix = $"transformer.resblocks.{i}.self_attn.";
                m = m.Then(KeyMapping.Create($"transformer.resblocks.{i}.attn.in_proj_{kind}",
                    t => Concat0(t, [$"{prefix}q_proj.{kind}", $"{prefix}k_proj.{kind}", $"{prefix}v_proj.{kind}"])));
            }
        }
        return m.Then(KeyMapping.Drop(@"transformer\.resblocks\.\d+\.self_attn\.[qkv]_proj\..*"));
    }

    /// <summary>Decides the layout from the keys.</summary>
    /// <param name="keys">Checkpoint keys.</param>
    /// <returns>HuggingFace, OpenAI or Native.</returns>
    public static ClipCheckpointLayout DetectLayout(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var list = keys.ToList();
        if (list.Any(k => k.StartsWith("vision_model.", StringComparison.Ordinal))) return ClipCheckpointLayout.HuggingFace;
        if (list.Any(k => k.StartsWith("visual.", StringComparison.Ordinal))) return ClipCheckpointLayout.OpenAI;
        return ClipCheckpointLayout.Native;
    }

    /// <summary>The mapping for a layout.</summary>
    /// <param name="layout">The layout (not Auto).</param>
    /// <param name="layers">Number of blocks.</param>
    /// <returns>The mapping.</returns>
    public static KeyMapping For(ClipCheckpointLayout layout, int layers) => layout switch
    {
        ClipCheckpointLayout.OpenAI => FromOpenAI(),
        ClipCheckpointLayout.HuggingFace => FromHuggingFace(layers),
        ClipCheckpointLayout.Native => KeyMapping.Identity,
        _ => throw new ArgumentOutOfRangeException(nameof(layout), layout, "Resolve Auto with DetectLayout first."),
    };

    /// <summary>Loads a safetensors file, a PyTorch checkpoint or an OpenAI TorchScript archive (<c>ViT-B-16.pt</c>) into <paramref name="network"/>, strictly (every tower
    /// key must be present with its shape); fp16 weights are converted to fp32.</summary>
    /// <param name="network">The tower.</param>
    /// <param name="path">The weights file.</param>
    /// <param name="layout">The key layout; Auto detects it.</param>
    /// <returns>The import report and the preprocessing read from the file's metadata (OpenAI values where absent).</returns>
    /// <exception cref="InvalidDataException">The file is damaged, or its tower does not match the network (the message
    /// lists missing/unexpected keys and shape mismatches).</exception>
    public static (ImportReport Report, ClipPreprocessing Preprocessing) Load(ClipVisionNetwork network, string path, ClipCheckpointLayout layout = ClipCheckpointLayout.Auto)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        IReadOnlyDictionary<string, TensorData> source;
        IReadOnlyDictionary<string, string> metadata = new Dictionary<string, string>();
        if (WeightsFile.IsPyTorch(path))
        {
            // A PyTorch checkpoint, or OpenAI's TorchScript ViT-*.pt read as inert records (no code runs).
            source = PyTorchCheckpointReader.ReadStateDict(path);
        }
        else
        {
            using var reader = SafeTensorsReader.Open(path);
            source = reader.ReadAll();
            metadata = reader.Metadata;
        }
        if (layout == ClipCheckpointLayout.Auto) layout = DetectLayout(source.Keys);
        var report = StateDictImporter.LoadInto(network, source, For(layout, network.Spec.Layers), ImportOptions.Exact, path);
        return (report, ClipPreprocessing.FromMetadata(metadata, network.Spec.ImageSize));
    }

    private static TensorData Concat0(IReadOnlyDictionary<string, TensorData> tensors, string[] keys)
    {
        var parts = new TensorData[keys.Length];
        for (int i = 0; i < keys.Length; i++)
            if (!tensors.TryGetValue(keys[i], out parts[i]!))
                throw new InvalidDataException($"The Hugging Face CLIP checkpoint lacks '{keys[i]}'.");
        var first = parts[0];
        if (parts.Any(p => p.DType != first.DType || !p.Shape.Skip(1).SequenceEqual(first.Shape.Skip(1))))
            throw new InvalidDataException($"Cannot fuse {string.Join(", ", keys)}: their dtypes or trailing shapes differ.");
        var bytes = new byte[parts.Sum(p => p.Bytes.Length)];
        int offset = 0;
        foreach (var p in parts)
        {
            p.Bytes.Span.CopyTo(bytes.AsSpan(offset));
            offset += p.Bytes.Length;
        }
        long[] shape = [parts.Sum(p => p.Shape[0]), .. first.Shape.Skip(1)];
        return new TensorData(first.DType, shape, bytes);
    }
}
