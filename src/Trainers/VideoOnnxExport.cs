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

    /// <summary>The input of a scoring graph: the clip column as ML.NET holds it ([batch, views, view dims] in the column's
    /// layout, named after the column), turned into the network's batch of views; the graph then also outputs the
    /// probabilities averaged over the views, named after the score column.</summary>
    /// <param name="InputName">Graph input name (the clip column's name).</param>
    /// <param name="ScoreName">Graph output name of the averaged probabilities (the score column's name).</param>
    /// <param name="Views">K, views per row.</param>
    /// <param name="ViewDimensions">One view's dims in the column's layout.</param>
    /// <param name="SwapFirstTwo">Whether the network's layout swaps the first two view dims (C, T ↔ T, C).</param>
    /// <param name="NumClasses">Classes.</param>
    internal sealed record ScoringInput(string InputName, string ScoreName, int Views, long[] ViewDimensions, bool SwapFirstTwo, int NumClasses);

    /// <summary>Runs <paramref name="build"/> over the network's state dict (on the CPU, no gradients) and writes the model.
    /// <paramref name="build"/> receives the value holding the clips in the network's layout, [batch, .. networkShape].</summary>
    internal static void Write(nn.Module network, string path, string family, object spec, long[] networkShape,
        Action<OnnxGraph, Func<string, Tensor>, string> build, ScoringInput? scoring, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var graph = new OnnxGraph();
        string clips;
        if (scoring is null)
        {
            clips = graph.Input(InputName, [-1, .. networkShape]);
        }
        else
        {
            var row = graph.Input(scoring.InputName, [-1, scoring.Views, .. scoring.ViewDimensions]);
            clips = graph.Reshape(row, [-1, .. scoring.ViewDimensions]);
            if (scoring.SwapFirstTwo) clips = graph.Transpose(clips, 0, 2, 1, 3, 4);
        }
        using (no_grad())
        using (NewDisposeScope())
        {
            var state = network.state_dict();
            Tensor Lookup(string name) => state.TryGetValue(name, out var t)
                ? t
                : throw new InvalidOperationException($"The {family} exporter expected the state-dict entry '{name}', which the network does not have.");
            build(graph, Lookup, clips);
        }
        if (scoring is not null)
        {
            var probabilities = graph.Node("Softmax", [OutputName], null, ("axis", -1L));
            graph.Node("ReduceMean", [graph.Reshape(probabilities, -1, scoring.Views, scoring.NumClasses)], scoring.ScoreName, ("axes", new long[] { 1 }), ("keepdims", 0L));
            graph.Output(scoring.ScoreName, -1, scoring.NumClasses);
        }
        var metadata = new Dictionary<string, string>
        {
            [FamilyKey] = family,
            [SpecKey] = JsonSerializer.Serialize(spec, spec.GetType()),
            [InputShapeKey] = string.Join(',', networkShape.Select(d => d.ToString(CultureInfo.InvariantCulture))),
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
