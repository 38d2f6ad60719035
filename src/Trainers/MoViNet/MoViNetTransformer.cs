using Microsoft.ML.Runtime;
using MLNetVideo.Persistence;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.MoViNet.MoViNetTransformer.Id, typeof(MLNetVideo.Trainers.MoViNet.MoViNetTransformer))]

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>A trained MoViNet classifier (see <see cref="VideoClassifierTransformer{TSelf, TSpec}"/> for its columns); a
/// stream-mode model can also classify live video through <see cref="CreateStream"/>.</summary>
public sealed class MoViNetTransformer : VideoClassifierTransformer<MoViNetTransformer, MoViNetSpec>, IPersistentTransformer<MoViNetTransformer>
{
    internal const string Id = "MLNetVideo.MoViNet";

    internal MoViNetTransformer(IHostEnvironment environment, MoViNetSpec spec, nn.Module<Tensor, Tensor> network, VideoClassifierInfo info,
        IReadOnlyDictionary<string, object?> trainingOptions)
        : base(environment, spec, network, info, trainingOptions)
    {
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    /// <remarks>Version 2: the ReZero scales are scalars, no duplicate state-dict keys, and stream models gate with Keras'
    /// hard sigmoid and classify through swish (the released checkpoints' activations). Version-1 zips still load:
    /// their duplicate keys are dropped, their scales become scalars, and their stream models keep the activations they
    /// were trained with (<see cref="MoViNetSpec.Version1Activations"/>), so they score as they did.</remarks>
    public static int ContentVersion => 2;

    /// <summary>Whether <see cref="CreateStream"/> is available (stream mode).</summary>
    public bool CanStream => Spec.Mode == MoViNetMode.Stream;

    /// <summary>
    /// Opens a streaming session on this model: push frames as they arrive and read the logits of the video so far, with
    /// constant memory. Sessions are independent; several may run at once. The model must be a stream-mode model.
    /// </summary>
    /// <returns>The session (dispose it; disposing the transformer invalidates it).</returns>
    public MoViNetStream CreateStream()
    {
        if (!CanStream)
            throw new InvalidOperationException($"This MoViNet {Spec.Variant} was trained in {Spec.Mode} mode, which is not causal; train with Mode = MoViNetMode.Stream to stream.");
        var network = Network;
        var device = network.parameters().First().device;
        IReadOnlyList<MoViNetNetwork> members = network switch
        {
            MoViNetNetwork single => [single],
            MoViNetEnsembleNetwork ensemble => ensemble.Members,
            _ => throw new InvalidOperationException($"Unexpected MoViNet network type {network.GetType().Name}."),
        };
        return new MoViNetStream(members, device)
        {
            InputFormat = new MoViNetFrameFormat { Height = Info.Clip.Height, Width = Info.Clip.Width },
        };
    }

    /// <summary>Builds the (untrained) network for a spec: one network, or the two-member temporal ensemble.</summary>
    internal static nn.Module<Tensor, Tensor> CreateNetwork(MoViNetSpec spec)
        => spec.TemporalEnsemble ? new MoViNetEnsembleNetwork(spec) : new MoViNetNetwork(spec);

    /// <summary>Version 1 saved the depthwise and SE units a second time under compiler-generated names
    /// (<c>&lt;Deep&gt;k__BackingField</c>, <c>&lt;Se&gt;k__BackingField</c>) and each ReZero scale as a 1-element vector.</summary>
    private static (string Key, Tensor Value)? UpgradeVersion1Entry(string key, Tensor value)
        => key.Contains("k__BackingField", StringComparison.Ordinal) ? null
            : key.EndsWith(".alpha", StringComparison.Ordinal) && value.shape is [1] ? (key, value.reshape([])) : (key, value);

    /// <inheritdoc />
    public static MoViNetTransformer LoadFrom(ModelEntryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ContentVersion is < 1 or > 2)
            throw new InvalidDataException(
                $"The model zip holds a MoViNet of content version {reader.ContentVersion}; this MLNetVideo reads versions 1 and {ContentVersion}: " +
                "load it with the MLNetVideo that saved it, or a newer one.");
        if (reader.ContentVersion == 1)
        {
            var legacy = ReadParts(reader, CreateNetwork, spec => spec with { Version1Activations = true },
                (entries, network) => entries.ReadModule("Weights.bin", network, UpgradeVersion1Entry));
            return new MoViNetTransformer(legacy.Environment, legacy.Spec, legacy.Network, legacy.Info, legacy.TrainingOptions);
        }
        var parts = ReadParts(reader, CreateNetwork);
        return new MoViNetTransformer(parts.Environment, parts.Spec, parts.Network, parts.Info, parts.TrainingOptions);
    }
}
