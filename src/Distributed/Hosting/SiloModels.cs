using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Distributed.Hosting;

/// <summary>
/// The models of one silo: each model zip is loaded once (through <c>mlContext.Model.Load</c>) and shared by every shard
/// and stream grain of the silo; a featurizing pipeline is built once per set of options. A zip replaced on disk (other
/// size or time) is loaded again.
/// </summary>
internal sealed class SiloModels : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<LoadedModel>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<LoadedModel>> _featurizers = new(StringComparer.Ordinal);
    private static readonly object ConstructionLock = new();
    private int _loads, _openStreams, _inUse;

    /// <summary>Model zips and featurizers loaded so far on this silo.</summary>
    public int Loads => _loads;

    /// <summary>Camera streaming sessions open on this silo now.</summary>
    public int OpenStreams => _openStreams;

    public void StreamOpened() => Interlocked.Increment(ref _openStreams);

    public void StreamClosed() => Interlocked.Decrement(ref _openStreams);

    /// <summary>The model in <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file does not exist or is not a model zip (message names it).</exception>
    public LoadedModel Get(string path)
    {
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (!info.Exists) throw new FileNotFoundException($"The model zip '{full}' does not exist on this silo ({Environment.MachineName}).", full);
        string key = $"{full}|{info.Length}|{info.LastWriteTimeUtc.Ticks}";
        return GetOrCreate(_models, key, () =>
        {
            var mlContext = new MLContext(seed: 1);
            ITransformer model;
            DataViewSchema inputSchema;
            try
            {
                // Checked first, and a file the model refers to (CLIP weights, an ONNX graph) is looked up beside the zip only,
                // as `mlnetvideo predict` does; the zip's own folders and programs are never used (issue 15).
                model = mlContext.Model.Load(full, new VideoModelLoadOptions { WeightsFolder = Path.GetDirectoryName(full) }, out inputSchema);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                var reason = Innermost(e);
                throw new InvalidDataException($"Cannot load the model zip '{full}': {reason.Message}", reason);
            }
            return new LoadedModel(mlContext, model, inputSchema, ClassNames(model.GetOutputSchema(inputSchema)));
        });
    }

    /// <summary>LoadVideoFrames → FeaturizeVideoWithClip built from a featurizing job's options.</summary>
    public LoadedModel GetFeaturizer(string loaderJson, string clipJson)
        => GetOrCreate(_featurizers, loaderJson + "\n" + clipJson, () =>
        {
            var loader = JsonSerializer.Deserialize<VideoFrameLoadingEstimator.Options>(loaderJson)!;
            var clip = JsonSerializer.Deserialize<ClipFeaturizingEstimator.Options>(clipJson)!;
            var mlContext = new MLContext(seed: 1);
            string pathColumn = loader.InputColumnName ?? loader.OutputColumnName;
            var empty = mlContext.Data.LoadFromEnumerable(Array.Empty<PathRow>(), PathRow.Schema(pathColumn));
            var model = mlContext.Transforms.LoadVideoFrames(loader).Append(mlContext.Transforms.FeaturizeVideoWithClip(clip)).Fit(empty);
            return new LoadedModel(mlContext, model, empty.Schema, []) { FeatureColumn = clip.OutputColumnName };
        });

    /// <summary>Marks a model as in use until the result is disposed: <see cref="Dispose"/> waits for every use to end, so a
    /// silo that stops while a shard or a camera push is still running does not free the networks under it.</summary>
    public IDisposable Use()
    {
        Interlocked.Increment(ref _inUse);
        return new Release(this);
    }

    public void Dispose()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (Volatile.Read(ref _inUse) > 0 && DateTime.UtcNow < deadline) Thread.Sleep(20);
        foreach (var lazy in _models.Values.Concat(_featurizers.Values))
            if (lazy.IsValueCreated) (lazy.Value.Model as IDisposable)?.Dispose();
        _models.Clear();
        _featurizers.Clear();
    }

    /// <summary>The exception that says why a video failed: our own (a decoding error names the file and the reason) when
    /// the chain holds one, else the innermost — not ML.NET's "worker encountered exception" wrappers.</summary>
    internal static string VideoFailure(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current.GetType().Namespace?.StartsWith("MLNetVideo", StringComparison.Ordinal) == true) return current.Message;
        var innermost = e;
        while (innermost.InnerException is not null) innermost = innermost.InnerException;
        return innermost.Message;
    }

    internal static Exception Innermost(Exception e)
    {
        while (e is System.Reflection.TargetInvocationException or AggregateException && e.InnerException is not null)
            e = e.InnerException;
        return e;
    }

    private LoadedModel GetOrCreate(ConcurrentDictionary<string, Lazy<LoadedModel>> cache, string key, Func<LoadedModel> create)
    {
        var lazy = cache.GetOrAdd(key, _ => new Lazy<LoadedModel>(() =>
        {
            Interlocked.Increment(ref _loads);
            // Building a network seeds and draws from libtorch's one global generator: silos that share a process build
            // one model at a time, so a randomly initialised tower is the same on every silo.
            lock (ConstructionLock)
                return create();
        }));
        try
        {
            return lazy.Value;
        }
        catch
        {
            cache.TryRemove(new KeyValuePair<string, Lazy<LoadedModel>>(key, lazy));   // a failure is not cached: the next shard tries again
            throw;
        }
    }

    private sealed class Release(SiloModels owner) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0) Interlocked.Decrement(ref owner._inUse);
        }
    }

    private static string[] ClassNames(DataViewSchema schema)
    {
        if (schema.GetColumnOrNull("Score") is not { } score || score.Type is not VectorDataViewType { Size: > 0 } vector)
            throw new InvalidDataException("The model has no Score vector column: it is not a classifier.");
        if (score.HasSlotNames())
        {
            var names = default(VBuffer<ReadOnlyMemory<char>>);
            score.GetSlotNames(ref names);
            var result = names.DenseValues().Select(n => n.ToString()).ToArray();
            if (result.Length == vector.Size && result.All(n => n.Length > 0)) return result;
        }
        return Enumerable.Range(0, vector.Size).Select(i => $"class {i}").ToArray();
    }
}
