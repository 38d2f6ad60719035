using MLNetVideo.Trainers;

namespace MLNetVideo.Cli;

/// <summary>Parameters and multiply-accumulates of a trained classifier's network, for <c>benchmark</c>.</summary>
internal static class ModelCost
{
    /// <summary>Trainable parameters of the classifier's network, and its multiply-accumulates for one clip (one view), as
    /// its family measures or counts them (<see cref="IVideoClassifier.MultiplyAccumulates"/>); null when neither applies.</summary>
    public static (long Parameters, long? MultiplyAccumulates) Measure(object classifier, float[] oneRow)
        => classifier is IVideoClassifier model
            ? (model.ParameterCount(), model.MultiplyAccumulates(oneRow) is { } macs ? (long)macs : null)
            : (0, null);
}
