using System.Globalization;
using System.Text.Json;
using MLNetVideo.Onnx;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers;

/// <summary>
/// What every exported classifier graph shares: one float input <see cref="InputName"/> (a batch of clips in the network's
/// own layout, already normalised as the trained transformer feeds them) and one output <see cref="OutputName"/> (the
/// logits, [batch, classes]). The batch is symbolic; the clip's frames and size are fixed at export time, since some
/// layers' shapes (pooling windows, 'same' pads) are computed from them.
/// </summary>
public static class VideoOnnxExport
{
    /// <summary>Name of the clip input of every exported classifier.</summary>
    public const string InputName = "clips";

    /// <summary>Name of the logits output of every exported classifier.</summary>
    public const string OutputName = "logits";

    /// <summary>Metadata key holding the family (S3D, TSM, AFNet, MoViNet, EVL).</summary>
    public const string FamilyKey = "mlnetvideo_family";

    /// <summary>Metadata key holding the network's spec as JSON.</summary>
    public const string SpecKey = "mlnetvideo_spec";

    /// <summary>Metadata key holding the input shape without the batch, comma-separated.</summary>
    public const string InputShapeKey = "mlnetvideo_input_shape";

    /// <summary>Runs <paramref name="build"/> over the network's state dict (on the CPU, no gradients) and writes the model.</summary>
    internal static void Write(nn.Module network, string path, string family, object spec, long[] inputShape,
        Action<OnnxGraph, Func<string, Tensor>> build, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var graph = new OnnxGraph();
        using (no_grad())
        using (NewDisposeScope())
        {
            var state = network.state_dict();
            Tensor Lookup(string name) => state.TryGetValue(name, out var t)
                ? t
                : throw new InvalidOperationException($"The {family} exporter expected the state-dict entry '{name}', which the network does not have.");
            build(graph, Lookup);
        }
        var metadata = new Dictionary<string, string>
        {
            [FamilyKey] = family,
            [SpecKey] = JsonSerializer.Serialize(spec, spec.GetType()),
            [InputShapeKey] = string.Join(',', inputShape.Select(d => d.ToString(CultureInfo.InvariantCulture))),
        };
        if (extraMetadata is not null)
            foreach (var (key, value) in extraMetadata) metadata[key] = value;
        graph.Save(path, family.ToLowerInvariant() + "_classifier", metadata);
    }

    /// <summary>Output size of a convolution or pooling window along one axis (floor mode).</summary>
    internal static long Out(long size, long kernel, long stride, long padBefore, long padAfter)
        => ((size + padBefore + padAfter - kernel) / stride) + 1;

    internal static void CheckPositive(long value, string name)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least 1.");
    }
}
