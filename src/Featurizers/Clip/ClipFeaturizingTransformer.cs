using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Determinism;
using MLNetVideo.Devices;
using MLNetVideo.Errors;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Persistence;
using TorchSharp;
using static TorchSharp.torch;
using MLNetVideo.Interop;

[assembly: PersistentTransformer(ClipFeaturizingTransformer.Id, typeof(ClipFeaturizingTransformer))]

namespace MLNetVideo.Featurizers.Clip;

/// <summary>
/// A frozen CLIP image tower applied to every frame of a clip column (see <see cref="ClipFeaturizingEstimator"/> for the
/// output layout). Rows are computed lazily; the tower stays in eval mode under no_grad and its weights never change.
/// Dispose it to release the tower's native memory.
/// </summary>
public sealed class ClipFeaturizingTransformer : RowMappingTransformerBase, IPersistentTransformer<ClipFeaturizingTransformer>, IDisposable
{
    internal const string Id = "MLNetVideo.ClipFeaturizer";
    private const string OptionsEntry = "Options.json";
    private const string WeightsEntry = "Clip.bin";
    private readonly ClipFeaturizingEstimator.Options _options;
    private readonly ClipVisionNetwork _network;
    private readonly Device _device;
    private readonly ClipFeatureComputer _computer;
    private readonly object _backendGate = new();
    private ClipTowerBackend _backend = ClipTowerBackend.Auto;
    private Lazy<IClipTowerSession?>? _onnx;
    private string? _backendReason;
    private Task? _onnxPreparation;
    private bool _disposed;

    private ClipFeaturizingTransformer(ClipFeaturizingEstimator.Options options, ClipVisionNetwork network, ClipPreprocessing preprocessing, string? weightsSha256)
    {
        _options = options;
        _network = network;
        Preprocessing = preprocessing;
        WeightsSha256 = weightsSha256;
        _device = DeviceResolver.Resolve(options.Device);
        _network.to(_device);
        _network.eval();
        foreach (var p in _network.parameters())
            p.requires_grad = false;
        _computer = new ClipFeatureComputer(new TowerEncoder(this), new ClipFeatureSettings(
            options.InputColumnName, options.OutputColumnName, options.InputLayout, options.LayersKept, options.IncludeAttention,
            options.FramesPerBatch, options.RowsPerBatch, options.CacheFolder, CacheIdentity(), options.CacheVideoPathColumnName,
            options.CacheVideoSampling is { } sampling ? ClipFeatureCache.SamplingKey(sampling) : null, options.CacheVideoSampling?.VideoFolder,
            options.CacheVideoSampling?.AllowPathsOutsideVideoFolder ?? false));
        PrepareOnnxTower();
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <summary>The tower's architecture.</summary>
    public ClipVisionSpec Spec => _network.Spec;

    /// <summary>The preprocessing applied to each frame.</summary>
    public ClipPreprocessing Preprocessing { get; }

    /// <summary>SHA-256 (lowercase hex) of the weights file, or null when the tower was random-initialised.</summary>
    public string? WeightsSha256 { get; }

    /// <summary>M, the number of last blocks kept.</summary>
    public int LayersKept => _options.LayersKept;

    /// <summary>Whether q and k are written after the block outputs.</summary>
    public bool IncludeAttention => _options.IncludeAttention;

    /// <summary>The output column.</summary>
    public string OutputColumnName => _options.OutputColumnName;

    /// <summary>The tower; refused once the transformer is disposed (its native memory is released then).</summary>
    internal ClipVisionNetwork Network
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _network;
        }
    }

    /// <summary>What runs the tower (default <see cref="ClipTowerBackend.Auto"/>: ONNX Runtime on the CPU when
    /// MLNetVideo.Featurizers.Onnx is deployed). Not saved in the model zip; the features differ from TorchSharp's in their
    /// last bits only (≤ 1e-4), and the feature cache does not tell them apart.</summary>
    public ClipTowerBackend Backend
    {
        get => _backend;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Unknown CLIP tower backend {value}.");
            lock (_backendGate)
            {
                ReleaseOnnxTower();
                (_onnx, _backendReason, _backend) = (null, null, value);
            }
            PrepareOnnxTower();
        }
    }

    /// <summary>Whether the tower's ONNX Runtime session is resolved (created, or found not usable) (tests).</summary>
    internal bool OnnxTowerResolved
    {
        get
        {
            lock (_backendGate)
                return _onnx is { IsValueCreated: true };
        }
    }

    /// <summary>Starts exporting the tower and creating its ONNX Runtime session on a background thread (for ViT-B/16 about
    /// 12 s), so that it overlaps whatever comes before the first row — decoding it, above all — instead of adding to it.
    /// The first row that needs the tower waits for the same session; a failure is kept for it (or, with Auto, turns into
    /// the TorchSharp fallback and its reason). A session finished after the backend changed, or after Dispose, is
    /// released here.</summary>
    private void PrepareOnnxTower()
    {
        lock (_backendGate)
        {
            if (_disposed || _backend == ClipTowerBackend.TorchSharp || _device.type != DeviceType.CPU || _onnxPreparation is { IsCompleted: false })
                return;
            var backend = _backend;
            var onnx = _onnx ??= NewOnnxTower(backend);
            if (onnx.IsValueCreated)
                return;
            _onnxPreparation = Task.Run(() =>
            {
                IClipTowerSession? session;
                try
                {
                    session = onnx.Value;
                }
                catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
                {
                    return;   // cached by the Lazy: the first row that needs the tower meets it
                }
                lock (_backendGate)
                {
                    // Replaced before it was ready (the backend changed, or Dispose): nobody else releases it.
                    if (ReferenceEquals(_onnx, onnx) || _released.Remove(onnx))
                        return;
                }
                session?.Dispose();
            });
        }
    }

    /// <summary>Sessions released by their owner while a background preparation may still look at them.</summary>
    private readonly HashSet<object> _released = new(ReferenceEqualityComparer.Instance);

    /// <summary>Releases the current session, if created (under <see cref="_backendGate"/>).</summary>
    private void ReleaseOnnxTower()
    {
        if (_onnx is not { IsValueCreated: true } onnx)
            return;
        onnx.Value?.Dispose();
        if (_onnxPreparation is { IsCompleted: false })
            _released.Add(onnx);
    }

    private Lazy<IClipTowerSession?> NewOnnxTower(ClipTowerBackend backend) => new(() =>
    {
        var session = CreateOnnxTower(backend, out string? reason);
        lock (_backendGate)
            _backendReason = reason;
        return session;
    });

    /// <summary>The backend that runs the tower now (<see cref="ClipTowerBackend.Auto"/> resolved).</summary>
    public ClipTowerBackend ActiveBackend => OnnxTower() is null ? ClipTowerBackend.TorchSharp : ClipTowerBackend.OnnxRuntime;

    /// <summary>Why <see cref="ClipTowerBackend.Auto"/> runs the tower with TorchSharp; null when ONNX Runtime runs it or
    /// TorchSharp was asked for.</summary>
    public string? BackendReason
    {
        get
        {
            OnnxTower();
            lock (_backendGate)
                return _backendReason;
        }
    }

    private IClipTowerSession? OnnxTower()
    {
        Lazy<IClipTowerSession?> onnx;
        lock (_backendGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            onnx = _onnx ??= NewOnnxTower(_backend);
        }
        return onnx.Value;
    }

    private IClipTowerSession? CreateOnnxTower(ClipTowerBackend backend, out string? reason)
    {
        reason = null;
        if (backend == ClipTowerBackend.TorchSharp)
            return null;
        string? problem = backend == ClipTowerBackend.Auto && _device.type != DeviceType.CPU ? $"the tower runs on {_device} (ONNX Runtime is used on the CPU only)" : null;
        var factory = problem is null ? ClipTowerRuntime.Resolve() : null;
        if (problem is null && factory is null)
            problem = "no ONNX Runtime session provider is available (deploy the MLNetVideo.Featurizers.Onnx package)";
        if (problem is null)
        {
            try
            {
                return factory!(_network, _options.LayersKept, _options.IncludeAttention);
            }
            catch (Exception e) when (backend == ClipTowerBackend.Auto && e is not OutOfMemoryException)
            {
                problem = $"the tower's ONNX graph could not be used ({e.GetType().Name}: {e.Message})";
            }
        }
        if (backend == ClipTowerBackend.OnnxRuntime)
            throw new InvalidOperationException($"ClipTowerBackend.OnnxRuntime cannot be used: {problem}.");
        reason = problem;
        return null;
    }

    internal static ClipFeaturizingTransformer Create(IHostEnvironment environment, ClipFeaturizingEstimator.Options options)
    {
        var spec = ClipVisionSpecs.Get(options.Variant);
        Seeding.ApplyToTorch(options.Seed);
        var network = new ClipVisionNetwork(spec);
        try
        {
            if (options.WeightsPath is null)
                return new ClipFeaturizingTransformer(options, network, ClipPreprocessing.OpenAI(spec.ImageSize), null);
            string hash = Sha256(options.WeightsPath);
            ClipFeaturizerRules.CheckWeightsSize(new FileInfo(options.WeightsPath).Length, spec, $"CLIP weights file '{options.WeightsPath}'");
            var (report, preprocessing) = ClipWeights.Load(network, options.WeightsPath, options.CheckpointLayout);
            MLNetVideo.Interop.MLNetHost.LogInfo(environment, "CLIP", $"Loaded {report.Loaded.Count} tensors from {options.WeightsPath} (SHA-256 {hash}).");
            return new ClipFeaturizingTransformer(options, network, preprocessing, hash);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Lowercase hex SHA-256 of a weights file: a regular file (never a device or FIFO) of at most 4 GiB, read within 10 minutes.</summary>
    internal static string Sha256(string path)
    {
        var bounds = VideoModelLoadOptions.Default;
        return Files.FileChecks.Sha256(path, bounds.MaxReferencedFileBytes, bounds.MaxFileReadTime, "CLIP weights file");
    }

    /// <summary>The tower's state dict as bytes (for checking that it never changes).</summary>
    internal byte[] StateDictBytes()
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, System.Text.Encoding.UTF8, leaveOpen: true))
            _network.save(writer);
        return memory.ToArray();
    }

    /// <inheritdoc />
    public static ClipFeaturizingTransformer LoadFrom(ModelEntryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ContentVersion != ContentVersion)
            throw new InvalidDataException($"Component {Id} was saved with content version {reader.ContentVersion}; this MLNetVideo reads version {ContentVersion}.");
        var saved = reader.ReadJson<SavedState>(OptionsEntry);
        var options = saved.Options ?? throw new InvalidDataException($"Entry '{OptionsEntry}' of component {Id} holds no options.");
        // Where the weights, cache and videos are is the loading application's decision, never the zip's.
        (options.CacheFolder, options.CacheVideoPathColumnName, options.CacheVideoSampling) =
            ClipFeaturizerRules.Rebind(options.CacheVideoPathColumnName, options.CacheVideoSampling, reader.LoadOptions);
        bool embedded = reader.Contains(WeightsEntry);
        if (!embedded && options.WeightsPath is not null)
            options.WeightsPath = reader.ResolveReferencedFile(options.WeightsPath, saved.WeightsSha256, "CLIP weights file");
        try
        {
            options.Validate(checkWeightsFile: !embedded);
        }
        catch (ArgumentException e)
        {
            throw ClipFeaturizerRules.InvalidSettings(Id, e);
        }
        var spec = ClipVisionSpecs.Get(options.Variant);
        ClipFeaturizerRules.CheckPreprocessing(saved.Preprocessing, spec, Id);
        if (embedded)
            ClipFeaturizerRules.CheckWeightsSize(reader.LengthOf(WeightsEntry), spec, $"weights entry '{WeightsEntry}' of component {Id}");
        else if (options.WeightsPath is { } file)
            ClipFeaturizerRules.CheckWeightsSize(new FileInfo(file).Length, spec, $"CLIP weights file '{file}'");
        Seeding.ApplyToTorch(options.Seed);
        var network = new ClipVisionNetwork(spec);
        try
        {
            if (embedded)
                reader.ReadModule(WeightsEntry, network);
            else if (options.WeightsPath is { } path)
                ClipWeights.Load(network, path, options.CheckpointLayout);
            return new ClipFeaturizingTransformer(options, network, saved.Preprocessing, saved.WeightsSha256);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void SaveModel(ModelSaveContext context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ModelZip.Save(context, this, writer =>
        {
            writer.WriteJson(OptionsEntry, new SavedState { Options = _options, Preprocessing = Preprocessing, WeightsSha256 = WeightsSha256 });
            if (_options.EmbedWeights)
                writer.WriteModule(WeightsEntry, _network);
        });
    }

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ClipFeatureMapping(inputSchema, null, _computer);
    }

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(IDataView input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ClipFeatureMapping(input.Schema, input, _computer);
    }

    /// <summary>Forward passes of the tower so far (each over at most <c>FramesPerBatch</c> frames).</summary>
    internal long EncoderForwards => _computer.EncoderForwards;

    /// <summary>Clips served from the feature cache so far.</summary>
    internal long CacheHits => _computer.CacheHits;

    /// <summary>Cache files that failed validation and were recomputed.</summary>
    internal long CacheCorruptions => _computer.CacheCorruptions;

    /// <summary>The identity of this featurizer's features for the cache key: everything that changes them.</summary>
    private string CacheIdentity()
        => System.Text.Json.JsonSerializer.Serialize(new
        {
            Route = "torchsharp",
            Variant = _options.Variant.ToString(),
            Weights = WeightsSha256 ?? $"random-init seed {_options.Seed}",
            _options.LayersKept,
            _options.IncludeAttention,
            Layout = _options.InputLayout.ToString(),
            Preprocessing.ImageSize,
            Preprocessing.Mean,
            Preprocessing.Std,
        });

    /// <summary>Resize/crop/normalise and the tower's forward, on the transformer's device.</summary>
    private sealed class TowerEncoder(ClipFeaturizingTransformer owner) : IClipFrameEncoder
    {
        public int Tokens => owner.Spec.Tokens;

        public int Width => owner.Spec.Width;

        public Tensor Prepare(Tensor frames) => ClipPreprocessing.Apply(frames.to(owner._device), owner.Preprocessing);

        public Tensor Encode(Tensor prepared)
        {
            if (owner.OnnxTower() is { } onnx)
                return onnx.Encode(prepared.to(CPU));
            var o = owner._options;
            var (f, q, k) = owner._network.ExtractFeatures(prepared.to(owner._device), o.LayersKept, o.IncludeAttention);
            var all = o.IncludeAttention ? cat([f, q!, k!], 0) : f;
            return all.to(CPU);
        }
    }

    /// <summary>Releases the tower.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Task? preparation;
        lock (_backendGate)
        {
            _disposed = true;
            ReleaseOnnxTower();
            _onnx = null;
            preparation = _onnxPreparation;
        }
        try
        {
            preparation?.Wait();   // the export reads the tower's weights: never release them under it
        }
        catch (AggregateException)
        {
        }
        _network.Dispose();
    }

    internal sealed class SavedState
    {
        public ClipFeaturizingEstimator.Options Options { get; set; } = new();
        public ClipPreprocessing Preprocessing { get; set; } = ClipPreprocessing.OpenAI(224);
        public string? WeightsSha256 { get; set; }
    }
}
