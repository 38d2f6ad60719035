using Microsoft.ML.Runtime;
using MLNetVideo.Persistence;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.Tsm.TsmTransformer.Id, typeof(MLNetVideo.Trainers.Tsm.TsmTransformer))]

namespace MLNetVideo.Trainers.Tsm;

/// <summary>A trained TSM-ResNet classifier, with or without temporal clustering (see
/// <see cref="VideoClassifierTransformer{TSelf, TSpec}"/> for its columns).</summary>
public sealed class TsmTransformer : VideoClassifierTransformer<TsmTransformer, TsmSpec>, IPersistentTransformer<TsmTransformer>
{
    internal const string Id = "MLNetVideo.Tsm";

    internal TsmTransformer(IHostEnvironment environment, TsmSpec spec, nn.Module<Tensor, Tensor> network, VideoClassifierInfo info,
        IReadOnlyDictionary<string, object?> trainingOptions)
        : base(environment, spec, network, info, trainingOptions)
    {
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <inheritdoc />
    public static TsmTransformer LoadFrom(ModelEntryReader reader)
    {
        var parts = ReadParts(reader, spec => new TsmNetwork(spec));
        return new TsmTransformer(parts.Environment, parts.Spec, parts.Network, parts.Info, parts.TrainingOptions);
    }
}
