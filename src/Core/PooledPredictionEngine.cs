using System.Collections.Concurrent;
using Microsoft.ML;

namespace MLNetVideo;

/// <summary>
/// A thread-safe front for one loaded model: any number of threads may call <see cref="Predict"/> at once. It keeps a
/// pool of ML.NET <see cref="PredictionEngine{TSrc, TDst}"/>s (one is used by one thread at a time, as ML.NET requires),
/// all created with <c>OwnsTransformer = false</c>, so disposing an engine never disposes the shared model.
/// </summary>
/// <remarks>
/// Why not a plain <c>CreatePredictionEngine</c> per thread: in ML.NET 5.0.1 a prediction engine <b>owns</b> its
/// transformer by default and disposes it when the engine is disposed. With MLNetVideo's TorchSharp-backed models
/// that releases the network's native memory, so every other engine on the same model then fails (an
/// <see cref="ObjectDisposedException"/>, or "Tensor invalid -- empty handle" in a forward pass already under way).
/// If you create engines yourself, pass <c>new PredictionEngineOptions { OwnsTransformer = false }</c> and dispose the
/// model once, after the last engine.
/// </remarks>
/// <typeparam name="TSrc">The input row class.</typeparam>
/// <typeparam name="TDst">The prediction class.</typeparam>
public sealed class PooledPredictionEngine<TSrc, TDst> : IDisposable
    where TSrc : class
    where TDst : class, new()
{
    private readonly ModelOperationsCatalog _catalog;
    private readonly ITransformer _model;
    private readonly bool _ownsModel;
    private readonly ConcurrentBag<PredictionEngine<TSrc, TDst>> _idle = [];
    private readonly int _maxIdle;
    private int _disposed;
    private int _created;

    internal PooledPredictionEngine(ModelOperationsCatalog catalog, ITransformer model, bool ownsModel, int maxIdle)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        if (maxIdle < 1)
            throw new ArgumentOutOfRangeException(nameof(maxIdle), maxIdle, $"maxIdleEngines must be positive; got {maxIdle}.");
        _ownsModel = ownsModel;
        _maxIdle = maxIdle;
        Return(Create());   // fails now, on the caller's thread, if the model does not fit TSrc/TDst
    }

    /// <summary>Engines created so far (at most one per thread predicting at the same time, plus the first).</summary>
    public int EnginesCreated => Volatile.Read(ref _created);

    /// <summary>Predicts one example; safe to call from many threads at once.</summary>
    /// <param name="example">The input row.</param>
    /// <returns>A new prediction object.</returns>
    public TDst Predict(TSrc example)
    {
        ArgumentNullException.ThrowIfNull(example);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var engine = _idle.TryTake(out var idle) ? idle : Create();
        try
        {
            return engine.Predict(example);
        }
        finally
        {
            Return(engine);
        }
    }

    private PredictionEngine<TSrc, TDst> Create()
    {
        Interlocked.Increment(ref _created);
        return _catalog.CreatePredictionEngine<TSrc, TDst>(_model, new PredictionEngineOptions { OwnsTransformer = false });
    }

    private void Return(PredictionEngine<TSrc, TDst> engine)
    {
        if (Volatile.Read(ref _disposed) == 0 && _idle.Count < _maxIdle)
            _idle.Add(engine);
        else
            engine.Dispose();
    }

    /// <summary>Disposes the idle engines, and the model when the pool owns it. Call it after the last <see cref="Predict"/> has returned.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        while (_idle.TryTake(out var engine))
            engine.Dispose();
        if (_ownsModel)
            (_model as IDisposable)?.Dispose();
    }
}
