using Microsoft.ML.Runtime;
using MLNetVideo.Persistence;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.Evl.EvlTransformer.Id, typeof(MLNetVideo.Trainers.Evl.EvlTransformer))]

namespace MLNetVideo.Trainers.Evl;

/// <summary>A trained EVL decoder (see <see cref="VideoClassifierTransformer{TSelf, TSpec}"/> for its columns); its input is
/// the CLIP feature column, so save it in one pipeline with the <c>FeaturizeVideoWithClip</c> transformer.</summary>
public sealed class EvlTransformer : VideoClassifierTransformer<EvlTransformer, EvlSpec>, IPersistentTransformer<EvlTransformer>
{
    internal const string Id = "MLNetVideo.Evl";

    internal EvlTransformer(IHostEnvironment environment, EvlSpec spec, nn.Module<Tensor, Tensor> network, VideoClassifierInfo info,
        IReadOnlyDictionary<string, object?> trainingOptions)
        : base(environment, spec, network, info, trainingOptions)
    {
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <inheritdoc />
    public static EvlTransformer LoadFrom(ModelEntryReader reader)
    {
        var parts = ReadParts(reader, spec => new EvlNetwork(spec));
        return new EvlTransformer(parts.Environment, parts.Spec, parts.Network, parts.Info, parts.TrainingOptions);
    }
}
