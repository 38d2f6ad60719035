using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Onnx;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>
/// The ONNX route for users with an exported CLIP visual encoder: checks that the graph exposes the outputs the caller
/// needs (for EVL: per-layer token features and attention q/k), then applies it with ML.NET's <c>ApplyOnnxModel</c>
/// (Microsoft.ML.OnnxTransformer; the native runtime comes from the <c>Microsoft.ML.OnnxRuntime</c> package).
/// </summary>
/// <remarks>
/// The graph runs on whatever its input column holds (for a CLIP encoder: normalised images [N, 3, S, S] or one image
/// [3, S, S] per row); it does not reshape clips into frames. A graph without a requested output fails at construction
/// with an <see cref="InvalidOperationException"/> that names the missing outputs and lists the ones the graph has.
/// </remarks>
public static class OnnxClipFeaturizer
{
    /// <summary>Reads a graph's input and output names and dimensions.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <returns>The graph's signature.</returns>
    public static OnnxGraphInfo Inspect(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"The ONNX model '{modelPath}' does not exist.", modelPath);
        using var session = new InferenceSession(modelPath);
        return new OnnxGraphInfo(
            session.InputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions.ToArray()),
            session.OutputMetadata.ToDictionary(kv => kv.Key, kv => kv.Value.Dimensions.ToArray()));
    }

    /// <summary>Checks that <paramref name="modelPath"/> exposes every name in <paramref name="requiredOutputs"/>.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="requiredOutputs">Output names the pipeline needs.</param>
    /// <returns>The graph's signature.</returns>
    /// <exception cref="InvalidOperationException">Some outputs are missing; the message names them and the graph's outputs.</exception>
    public static OnnxGraphInfo CheckOutputs(string modelPath, IReadOnlyList<string> requiredOutputs)
    {
        ArgumentNullException.ThrowIfNull(requiredOutputs);
        var info = Inspect(modelPath);
        var missing = requiredOutputs.Where(name => !info.Outputs.ContainsKey(name)).ToArray();
        if (missing.Length > 0)
            throw new InvalidOperationException(
                $"The ONNX graph '{modelPath}' lacks the output(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} needed for the CLIP feature contract. " +
                $"It exposes: {string.Join(", ", info.Outputs.Keys.Select(k => $"'{k}'"))}. Re-export the encoder with these tensors as graph outputs " +
                "(for EVL: each used block's output and its attention q and k).");
        return info;
    }

    /// <summary>The EVL output names this library expects from an exported CLIP encoder for the last <paramref name="layersKept"/>
    /// blocks: <c>block{i}_out</c>, and with attention <c>block{i}_q</c>, <c>block{i}_k</c> (i = 0-based block index).</summary>
    /// <param name="totalLayers">Blocks in the tower.</param>
    /// <param name="layersKept">M.</param>
    /// <param name="includeAttention">Whether q/k are needed.</param>
    /// <returns>The names, block outputs first, then q, then k (the order of the TorchSharp featurizer's slices).</returns>
    public static IReadOnlyList<string> EvlOutputNames(int totalLayers, int layersKept, bool includeAttention = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(layersKept, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layersKept, totalLayers);
        var blocks = Enumerable.Range(totalLayers - layersKept, layersKept).ToArray();
        var names = blocks.Select(i => $"block{i}_out").ToList();
        if (includeAttention)
        {
            names.AddRange(blocks.Select(i => $"block{i}_q"));
            names.AddRange(blocks.Select(i => $"block{i}_k"));
        }
        return names;
    }

    /// <summary>Checks the graph, then creates ML.NET's ONNX estimator that writes each requested graph output to the column of the
    /// same name, reading the graph input from <paramref name="inputColumnName"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="inputColumnName">Column feeding the graph's single input (known-size Vector&lt;Single&gt; of its shape).</param>
    /// <param name="outputNames">Graph outputs to expose as columns.</param>
    /// <param name="gpuDeviceId">CUDA device for ONNX Runtime, or null for the CPU.</param>
    /// <returns>The estimator.</returns>
    /// <exception cref="InvalidOperationException">The graph lacks an output, or does not have exactly one input.</exception>
    public static OnnxScoringEstimator Create(TransformsCatalog catalog, string modelPath, string inputColumnName, IReadOnlyList<string> outputNames, int? gpuDeviceId = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentException.ThrowIfNullOrWhiteSpace(inputColumnName);
        var info = CheckOutputs(modelPath, outputNames);
        if (info.Inputs.Count != 1)
            throw new InvalidOperationException($"The ONNX graph '{modelPath}' has {info.Inputs.Count} inputs ({string.Join(", ", info.Inputs.Keys)}); the CLIP route needs exactly one image input.");
        string graphInput = info.Inputs.Keys.Single();
        if (graphInput != inputColumnName)
            throw new ArgumentException($"The graph's input is named '{graphInput}'; name the input column so, or copy it: mlContext.Transforms.CopyColumns(\"{graphInput}\", \"{inputColumnName}\").", nameof(inputColumnName));
        var shapes = new Dictionary<string, int[]> { [graphInput] = info.Inputs[graphInput].Select(d => d <= 0 ? 1 : d).ToArray() };
        return catalog.ApplyOnnxModel([.. outputNames], [graphInput], modelPath, shapes, gpuDeviceId, fallbackToCpu: gpuDeviceId is not null);
    }
}
