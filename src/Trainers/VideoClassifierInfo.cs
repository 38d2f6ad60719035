namespace MLNetVideo.Trainers;

/// <summary>
/// What a fitted video classifier needs besides its network: column names, clip geometry, layouts, class names.
/// Stored as <c>Classifier.json</c> in the model zip.
/// </summary>
public sealed record VideoClassifierInfo
{
    /// <summary>Clip column read at scoring time.</summary>
    public required string ClipColumnName { get; init; }

    /// <summary>Probability vector column written.</summary>
    public required string ScoreColumnName { get; init; }

    /// <summary>Predicted key column written.</summary>
    public required string PredictedLabelColumnName { get; init; }

    /// <summary>Per-view clip shape seen in training (<see cref="ClipGeometry.Views"/> = views per training row).</summary>
    public required ClipGeometry Clip { get; init; }

    /// <summary>Layout the network takes.</summary>
    public required ClipLayout NetworkLayout { get; init; }

    /// <summary>Number of classes (label key count).</summary>
    public required int NumClasses { get; init; }

    /// <summary>Class names from the label's KeyValues annotation (text keys), or null.</summary>
    public string[]? ClassNames { get; init; }

    /// <summary>The device the network trained on ("cpu", "cuda:N"; zips saved before it was recorded exactly hold "cpu" or
    /// "auto"). A loaded model scores there when the loading process has it, else on the CPU, unless
    /// <c>VideoModelLoadOptions.Device</c> says otherwise.</summary>
    public string Device { get; init; } = "auto";
}
