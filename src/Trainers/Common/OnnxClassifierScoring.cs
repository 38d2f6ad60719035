using static TorchSharp.torch;

namespace MLNetVideo.Trainers;

/// <summary>
/// The ONNX Runtime route of a trained classifier's scoring: decides from <see cref="ScoringBackend"/> whether it applies,
/// exports the network's scoring graph once (lazily, in memory) and runs it. Kept apart from the transformer so the
/// transformer only asks it for probabilities.
/// </summary>
internal sealed class OnnxClassifierScoring : IDisposable
{
    private readonly IOnnxScoringSession _session;
    private readonly int _classes;

    private OnnxClassifierScoring(IOnnxScoringSession session, int classes)
    {
        _session = session;
        _classes = classes;
    }

    /// <summary>The ONNX route for <paramref name="backend"/>, or null when TorchSharp scores.</summary>
    /// <param name="backend">The requested backend.</param>
    /// <param name="network">The trained network.</param>
    /// <param name="info">The classifier's columns and clip geometry.</param>
    /// <param name="device">The transformer's device.</param>
    /// <param name="extraColumns">Extra output columns the transformer computes with TorchSharp (ONNX cannot fill them).</param>
    /// <exception cref="InvalidOperationException"><see cref="ScoringBackend.OnnxRuntime"/> was requested and cannot be used.</exception>
    public static OnnxClassifierScoring? Create(ScoringBackend backend, nn.Module network, VideoClassifierInfo info, Device device, IReadOnlyList<string> extraColumns)
    {
        if (backend == ScoringBackend.TorchSharp)
            return null;
        string? problem = !VideoClassifierOnnx.Supports(network) ? $"the network {network.GetType().Name} has no ONNX exporter"
            : extraColumns.Count > 0 ? $"the extra output column(s) {string.Join(", ", extraColumns)} are computed by TorchSharp only"
            : null;
        var factory = problem is null ? OnnxScoringRuntime.Resolve() : null;
        if (problem is null && factory is null)
            problem = "no ONNX Runtime session provider is available (deploy the MLNetVideo.Featurizers.Onnx package or set OnnxScoringRuntime.SessionFactory)";
        if (backend == ScoringBackend.Auto && (problem is not null || device.type != TorchSharp.DeviceType.CPU))
            return null;
        if (problem is not null)
            throw new InvalidOperationException($"ScoringBackend.OnnxRuntime cannot be used: {problem}.");
        var model = VideoClassifierOnnx.ExportBytes(network, info);
        return new OnnxClassifierScoring(factory!(model, info.ClipColumnName, info.ScoreColumnName, OnnxScoringRuntime.IntraOpThreads), info.NumClasses);
    }

    /// <summary>Probabilities averaged over each row's views.</summary>
    /// <param name="rows">The rows, one after the other.</param>
    /// <param name="rowCount">How many.</param>
    /// <returns>One array of class probabilities per row.</returns>
    public float[][] Predict(float[] rows, int rowCount)
    {
        var data = _session.Run(rows, rowCount);
        var result = new float[rowCount][];
        for (int i = 0; i < rowCount; i++)
            result[i] = data.AsSpan(i * _classes, _classes).ToArray();
        return result;
    }

    public void Dispose() => _session.Dispose();
}
