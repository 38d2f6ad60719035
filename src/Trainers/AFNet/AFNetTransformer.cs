using Microsoft.ML.Runtime;
using MLNetVideo.Persistence;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.AFNet.AFNetTransformer.Id, typeof(MLNetVideo.Trainers.AFNet.AFNetTransformer))]

namespace MLNetVideo.Trainers.AFNet;

/// <summary>One clip's AFNet prediction.</summary>
/// <param name="Probabilities">Class probabilities (averaged over the row's views).</param>
/// <param name="SelectedFrameRatio">Fraction of frames the focal branches computed, averaged over the navigation modules and views.</param>
/// <param name="MultiplyAccumulates">Executed multiply-accumulates of the clip (per view, averaged), see <see cref="AFNetExecutionTrace"/>.</param>
public sealed record AFNetPrediction(float[] Probabilities, double SelectedFrameRatio, double MultiplyAccumulates);

/// <summary>
/// A trained AFNet classifier. Besides <c>Score</c> and <c>PredictedLabel</c> (see
/// <see cref="VideoClassifierTransformer{TSelf, TSpec}"/>) it writes <see cref="SelectedFrameRatioColumnName"/>: per row, the
/// fraction of frames the focal branches computed (mean over the navigation modules). Scoring skips the unselected frames
/// for real (gather, compute, scatter).
/// </summary>
public sealed class AFNetTransformer : VideoClassifierTransformer<AFNetTransformer, AFNetSpec>, IPersistentTransformer<AFNetTransformer>
{
    internal const string Id = "MLNetVideo.AFNet";

    /// <summary>Name of the extra output column: the selected-frame ratio of the row (<see cref="float"/>).</summary>
    public const string SelectedFrameRatioColumnName = "SelectedFrameRatio";

    internal AFNetTransformer(IHostEnvironment environment, AFNetSpec spec, nn.Module<Tensor, Tensor> network, VideoClassifierInfo info,
        IReadOnlyDictionary<string, object?> trainingOptions)
        : base(environment, spec, network, info, trainingOptions)
    {
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <inheritdoc />
    public static AFNetTransformer LoadFrom(ModelEntryReader reader)
    {
        var parts = ReadParts(reader, spec => new AFNetNetwork(spec));
        return new AFNetTransformer(parts.Environment, parts.Spec, parts.Network, parts.Info, parts.TrainingOptions);
    }

    /// <inheritdoc />
    protected override IReadOnlyList<string> ExtraOutputColumns => [SelectedFrameRatioColumnName];

    /// <inheritdoc />
    protected override (Tensor Logits, Tensor? Extras) RunNetwork(nn.Module<Tensor, Tensor> network, Tensor clips)
    {
        var output = ((AFNetNetwork)network).Run(clips);
        return (output.Logits, output.SelectedFrameRatio.unsqueeze(1));
    }

    /// <summary>Probabilities, selected-frame ratio and executed multiply-accumulates of one row.</summary>
    /// <param name="clip">One row of the clip column: K × view floats.</param>
    /// <returns>The prediction.</returns>
    public AFNetPrediction Predict(ReadOnlySpan<float> clip)
    {
        int viewSize = Info.Clip.ViewSize;
        if (clip.Length == 0 || clip.Length % viewSize != 0)
            throw new ArgumentException($"The row must hold K × {viewSize} floats ({Info.Clip with { Views = 1 }}); got {clip.Length}.", nameof(clip));
        int views = clip.Length / viewSize;
        var network = (AFNetNetwork)Network;
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var device = network.parameters().First().device;
        var x = Info.Clip.ToTensor(clip.ToArray(), views, Info.NetworkLayout, device);
        var output = network.Run(x, new AFNetRunOptions { Trace = true });
        var probabilities = nn.functional.softmax(output.Logits, 1).mean([0L]).cpu().data<float>().ToArray();
        double ratio = output.SelectedFrameRatio.mean().cpu().item<float>();
        return new AFNetPrediction(probabilities, ratio, output.Trace!.MultiplyAccumulates.Average());
    }

    /// <summary>Executed multiply-accumulates of one view of <paramref name="clip"/> with every frame selected by every
    /// navigation module (what the focal branches would cost without skipping), the reference point of the ratio's saving.</summary>
    /// <param name="clip">One row of the clip column (its first view is used).</param>
    /// <returns>The MACs.</returns>
    public double AllFramesMultiplyAccumulates(ReadOnlySpan<float> clip)
    {
        int viewSize = Info.Clip.ViewSize;
        if (clip.Length < viewSize)
            throw new ArgumentException($"The row must hold at least {viewSize} floats ({Info.Clip with { Views = 1 }}); got {clip.Length}.", nameof(clip));
        var network = (AFNetNetwork)Network;
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var device = network.parameters().First().device;
        var x = Info.Clip.ToTensor(clip[..viewSize].ToArray(), 1, Info.NetworkLayout, device);
        var navigation = network.Run(x, new AFNetRunOptions { Trace = true });
        var forced = network.Run(x, new AFNetRunOptions { ForcedMasks = network.UniformMasks(1, 1.0), Trace = true });
        // The forced run skips the navigation modules; add what they cost when they run.
        var decided = network.Run(x, new AFNetRunOptions { ForcedMasks = navigation.Masks, Trace = true });
        return forced.Trace!.MultiplyAccumulates[0] + (navigation.Trace!.MultiplyAccumulates[0] - decided.Trace!.MultiplyAccumulates[0]);
    }
}
