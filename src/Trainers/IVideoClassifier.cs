namespace MLNetVideo.Trainers;

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
