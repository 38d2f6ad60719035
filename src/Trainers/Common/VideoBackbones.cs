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

namespace MLNetVideo.Trainers;

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

/// <summary>A fitted video classifier of any family (<see cref="VideoClassifierTransformer{TSpec}"/>), for code that
/// handles every family alike (reports, the CLI's benchmark).</summary>
public interface IVideoClassifier
{
    /// <summary>Columns, clip geometry and classes.</summary>
    VideoClassifierInfo Info { get; }

    /// <summary>Names of the extra <see cref="float"/> columns written after PredictedLabel.</summary>
    IReadOnlyList<string> ExtraOutputColumns { get; }

    /// <summary>Trainable parameters of the network.</summary>
    /// <returns>The count.</returns>
    long ParameterCount();

    /// <summary>Multiply-accumulates of one view of <paramref name="row"/>: what the family measures on the clip (AFNet's
    /// executed cost), else convolution and linear layers counted with forward hooks on a fresh copy of the network,
    /// else the family's analytic formula; null when none applies.</summary>
    /// <param name="row">One row of the clip column (its first view is used).</param>
    /// <returns>The MACs, or null.</returns>
    double? MultiplyAccumulates(float[] row);

    /// <summary>What runs the network when the model scores (default <see cref="Trainers.ScoringBackend.Auto"/>).</summary>
    ScoringBackend ScoringBackend { get; set; }

    /// <summary>The backend that scores now, <see cref="Trainers.ScoringBackend.Auto"/> resolved.</summary>
    ScoringBackend ActiveScoringBackend { get; }
}
