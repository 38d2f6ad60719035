using Microsoft.ML.Runtime;
using MLNetVideo.Persistence;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.Trainers.S3D.S3DTransformer.Id, typeof(MLNetVideo.Trainers.S3D.S3DTransformer))]

namespace MLNetVideo.Trainers.S3D;

/// <summary>A trained S3D / S3D-G classifier (see <see cref="VideoClassifierTransformer{TSelf, TSpec}"/> for its columns).</summary>
public sealed class S3DTransformer : VideoClassifierTransformer<S3DTransformer, S3DSpec>, IPersistentTransformer<S3DTransformer>
{
    internal const string Id = "MLNetVideo.S3D";

    internal S3DTransformer(IHostEnvironment environment, S3DSpec spec, nn.Module<Tensor, Tensor> network, VideoClassifierInfo info,
        IReadOnlyDictionary<string, object?> trainingOptions)
        : base(environment, spec, network, info, trainingOptions)
    {
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <inheritdoc />
    public static S3DTransformer LoadFrom(ModelEntryReader reader)
    {
        var parts = ReadParts(reader, spec => new S3DNetwork(spec));
        return new S3DTransformer(parts.Environment, parts.Spec, parts.Network, parts.Info, parts.TrainingOptions);
    }
}
