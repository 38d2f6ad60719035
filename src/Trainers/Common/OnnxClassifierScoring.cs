using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// The ONNX Runtime route of a trained classifier's scoring: decides from <see cref="ScoringBackend"/> whether it applies,
/// exports the network's scoring graph once (lazily, in memory) and runs it. Kept apart from the transformer so the
/// transformer only asks it for probabilities.
/// </summary>
internal sealed class OnnxClassifierScoring : IDisposable
{
    private readonly IOnnxScoringSession _session;
    private readonly int _classes;
    private readonly int _viewSize;
    private readonly object _lifetime = new();
    private bool _disposed;
    private long _runs;

    /// <summary>Session runs so far, the warm-up included (tests).</summary>
    internal long Runs => Interlocked.Read(ref _runs);

    private OnnxClassifierScoring(IOnnxScoringSession session, int classes, int viewSize)
    {
        _session = session;
        _classes = classes;
        _viewSize = viewSize;
    }

    /// <summary>The ONNX route for <paramref name="backend"/>, or null when TorchSharp scores.</summary>
    /// <param name="backend">The requested backend.</param>
    /// <param name="network">The trained network.</param>
    /// <param name="info">The classifier's columns and clip geometry.</param>
    /// <param name="device">The transformer's device.</param>
    /// <param name="extraColumns">Extra output columns the transformer computes with TorchSharp (ONNX cannot fill them).</param>
    /// <param name="reason">Under <see cref="ScoringBackend.Auto"/>, why TorchSharp scores; otherwise null.</param>
    /// <exception cref="InvalidOperationException"><see cref="ScoringBackend.OnnxRuntime"/> was requested and cannot be used.</exception>
    public static OnnxClassifierScoring? Create(ScoringBackend backend, nn.Module network, VideoClassifierInfo info, Device device,
        IReadOnlyList<string> extraColumns, out string? reason)
    {
        reason = null;
        if (backend == ScoringBackend.TorchSharp)
            return null;
        string? problem = backend == ScoringBackend.Auto && device.type != TorchSharp.DeviceType.CPU ? $"the model scores on {device} (ONNX Runtime is used on the CPU only)"
            : !VideoClassifierOnnx.Supports(network) ? $"the network {network.GetType().Name} has no ONNX exporter"
            : extraColumns.Count > 0 ? $"the extra output column(s) {string.Join(", ", extraColumns)} are computed by TorchSharp only"
            : null;
        // Looked up only when needed, so a CUDA or non-exportable model never loads ONNX Runtime.
        var factory = problem is null ? OnnxScoringRuntime.Resolve() : null;
        if (problem is null && factory is null)
            problem = "no ONNX Runtime session provider is available (deploy the MLNetVideo.Featurizers.Onnx package or set OnnxScoringRuntime.SessionFactory)";
        if (problem is not null)
        {
            if (backend == ScoringBackend.Auto)
            {
                reason = problem;
                return null;
            }
            throw new InvalidOperationException($"ScoringBackend.OnnxRuntime cannot be used: {problem}.");
        }
        try
        {
            // A one-view graph: rows may hold any number of views (K × view floats), averaged here.
            var model = VideoClassifierOnnx.ExportBytes(network, info with { Clip = info.Clip with { Views = 1 } });
            return new OnnxClassifierScoring(factory!(model, info.ClipColumnName, info.ScoreColumnName, OnnxScoringRuntime.IntraOpThreads),
                info.NumClasses, info.Clip.ViewSize);
        }
        catch (Exception e) when (backend == ScoringBackend.Auto && e is not OutOfMemoryException)
        {
            // Auto promises scores, not a backend: a graph the exporter or ONNX Runtime rejects scores with TorchSharp.
            reason = $"the ONNX scoring graph could not be used ({e.GetType().Name}: {e.Message})";
            return null;
        }
    }

    /// <summary>Probabilities averaged over each row's views.</summary>
    /// <param name="rows">The rows, one after the other, each <paramref name="views"/> views.</param>
    /// <param name="rowCount">How many.</param>
    /// <param name="views">Views per row.</param>
    /// <returns>One array of class probabilities per row.</returns>
    public float[][] Predict(float[] rows, int rowCount, int views)
    {
        Interlocked.Increment(ref _runs);
        var data = _session.Run(rows, rowCount * views);
        var result = new float[rowCount][];
        for (int i = 0; i < rowCount; i++)
        {
            var p = data.AsSpan(i * views * _classes, _classes).ToArray();
            if (views > 1)
            {
                for (int v = 1; v < views; v++)
                {
                    var view = data.AsSpan((i * views + v) * _classes, _classes);
                    for (int c = 0; c < _classes; c++)
                        p[c] += view[c];
                }
                for (int c = 0; c < _classes; c++)
                    p[c] /= views;
            }
            result[i] = p;
        }
        return result;
    }

    /// <summary>Scores one all-zero view and drops the result: ONNX Runtime's first run of a session plans its memory and
    /// grows its arena, which would otherwise fall on the first real row. A no-op once disposed.</summary>
    public void WarmUp()
    {
        lock (_lifetime)
        {
            if (_disposed)
                return;
            Interlocked.Increment(ref _runs);
            _session.Run(new float[_viewSize], 1);
        }
    }

    public void Dispose()
    {
        // Waits for a warm-up still running: the session is never freed under a run.
        lock (_lifetime)
        {
            if (_disposed) return;
            _disposed = true;
            _session.Dispose();
        }
    }
}
