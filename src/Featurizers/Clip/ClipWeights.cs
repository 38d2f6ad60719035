using MLNetVideo.Weights;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>Key mappings from the public CLIP checkpoints to the CLIP tower's own names (openai/CLIP and Hugging Face CLIPVisionModel), and loading.</summary>
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
    internal static (ImportReport Report, ClipPreprocessing Preprocessing) Load(ClipVisionNetwork network, string path, ClipCheckpointLayout layout = ClipCheckpointLayout.Auto)
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
