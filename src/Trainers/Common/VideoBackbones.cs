using MLNetVideo.Persistence;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;

// Every family saves and loads through the one scoring transformer, registered here under each family's component id
// (the id its descriptor passes to VideoBackbone; BackboneContractTests' round trips fail when the two differ).
[assembly: PersistentTransformer("MLNetVideo.S3D", typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.S3D.S3DSpec>))]
[assembly: PersistentTransformer("MLNetVideo.MoViNet", typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.MoViNet.MoViNetSpec>))]
[assembly: PersistentTransformer("MLNetVideo.Tsm", typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.Tsm.TsmSpec>))]
[assembly: PersistentTransformer("MLNetVideo.AFNet", typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.AFNet.AFNetSpec>))]
[assembly: PersistentTransformer("MLNetVideo.Evl", typeof(MLNetVideo.Trainers.VideoClassifierTransformer<MLNetVideo.Trainers.Evl.EvlSpec>))]

namespace MLNetVideo.Trainers.Common;

/// <summary>Every family of this assembly, for the scoring transformer's load (component id → family).</summary>
internal static class VideoBackbones
{
    /// <summary>The families, one descriptor each.</summary>
    public static IReadOnlyList<VideoBackbone> All { get; } =
        [S3DBackbone.Instance, MoViNetBackbone.Instance, TsmBackbone.Instance, AFNetBackbone.Instance, EvlBackbone.Instance];

    /// <summary>The family of <typeparamref name="TSpec"/> that owns <paramref name="componentId"/>.</summary>
    public static VideoBackbone<TSpec> Find<TSpec>(string componentId) where TSpec : class
        => All.OfType<VideoBackbone<TSpec>>().FirstOrDefault(b => b.Owns(componentId))
            ?? throw new InvalidDataException($"Component {componentId} is not a {typeof(TSpec).Name} family known to this MLNetVideo.");
}
