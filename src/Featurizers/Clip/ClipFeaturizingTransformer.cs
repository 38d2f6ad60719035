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
    private readonly object _lock = new();
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

    internal ClipVisionNetwork Network => _network;

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

    /// <summary>Lowercase hex SHA-256 of a file.</summary>
    internal static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
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
        var options = saved.Options;
        var spec = ClipVisionSpecs.Get(options.Variant);
        Seeding.ApplyToTorch(options.Seed);
        var network = new ClipVisionNetwork(spec);
        try
        {
            if (reader.Contains(WeightsEntry))
            {
                reader.ReadModule(WeightsEntry, network);
            }
            else if (options.WeightsPath is { } path)
            {
                if (!File.Exists(path))
                    throw new FileNotFoundException($"The model zip's CLIP featurizer needs its weights file '{path}' (SHA-256 {saved.WeightsSha256}), which does not exist. Put the file back or save the model with EmbedWeights = true.", path);
                string hash = Sha256(path);
                if (!string.Equals(hash, saved.WeightsSha256, StringComparison.Ordinal))
                    throw new InvalidDataException($"The CLIP weights file '{path}' has SHA-256 {hash}, but the model zip was built with a file whose SHA-256 is {saved.WeightsSha256}. Refusing a different file: restore the original weights or refit the pipeline.");
                ClipWeights.Load(network, path, options.CheckpointLayout);
            }
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
        return new Mapping(inputSchema, this);
    }

    /// <summary>Features of one clip: <paramref name="frames"/> [T, 3, H, W] (values in [0, 1]) → [k·M, T, tokens, W].</summary>
    /// <param name="frames">The clip.</param>
    /// <returns>The features on the CPU.</returns>
    internal Tensor Featurize(Tensor frames)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_lock)
        {
            using var grad = no_grad();
            using var scope = NewDisposeScope();
            var x = Preprocess(frames.to(_device));
            long t = x.shape[0];
            var feats = new List<Tensor>();
            var qs = new List<Tensor>();
            var ks = new List<Tensor>();
            for (long start = 0; start < t; start += _options.FramesPerBatch)
            {
                long count = Math.Min(_options.FramesPerBatch, t - start);
                var (f, q, k) = _network.ExtractFeatures(x.narrow(0, start, count), _options.LayersKept, _options.IncludeAttention);
                feats.Add(f);
                if (q is not null) { qs.Add(q); ks.Add(k!); }
            }
            var all = cat(feats, 1);
            if (_options.IncludeAttention)
                all = cat([all, cat(qs, 1), cat(ks, 1)], 0);
            return all.to(CPU).contiguous().MoveToOuterDisposeScope();
        }
    }

    private Tensor Preprocess(Tensor x)
    {
        int size = Preprocessing.ImageSize;
        long h = x.shape[2], w = x.shape[3];
        if (h != size || w != size)
        {
            double scale = (double)size / Math.Min(h, w);
            long nh = Math.Max(size, (long)Math.Round(h * scale)), nw = Math.Max(size, (long)Math.Round(w * scale));
            if (nh != h || nw != w)
                x = nn.functional.interpolate(x, [nh, nw], mode: InterpolationMode.Bicubic, align_corners: false);
            long top = (nh - size) / 2, left = (nw - size) / 2;
            x = x.narrow(2, top, size).narrow(3, left, size);
        }
        var mean = tensor(Preprocessing.Mean, device: x.device).view(1, 3, 1, 1);
        var std = tensor(Preprocessing.Std, device: x.device).view(1, 3, 1, 1);
        return (x - mean) / std;
    }

    /// <summary>Releases the tower.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _network.Dispose();
    }

    internal sealed class SavedState
    {
        public ClipFeaturizingEstimator.Options Options { get; set; } = new();
        public ClipPreprocessing Preprocessing { get; set; } = ClipPreprocessing.OpenAI(224);
        public string? WeightsSha256 { get; set; }
    }

    private sealed class Mapping : ColumnMapping
    {
        private readonly ClipFeaturizingTransformer _owner;
        private readonly DataViewSchema.Column _input;
        private readonly int _frames, _height, _width;
        private readonly bool _channelsFirst;
        private readonly int _outputSize;

        public Mapping(DataViewSchema inputSchema, ClipFeaturizingTransformer owner) : base(inputSchema)
        {
            _owner = owner;
            var o = owner._options;
            _input = inputSchema.GetColumnOrNull(o.InputColumnName) ?? throw SchemaErrors.ColumnNotFound("input", o.InputColumnName);
            _channelsFirst = o.InputLayout == ClipFrameLayout.Cthw;
            string expected = _channelsFirst ? "known-size Vector<Single, 3, T, H, W>" : "known-size Vector<Single, T, 3, H, W>";
            if (_input.Type is not VectorDataViewType { IsKnownSize: true } vector || !vector.ItemType.Equals(NumberDataViewType.Single)
                || vector.Dimensions.Length != 4 || vector.Dimensions[_channelsFirst ? 0 : 1] != 3)
                throw SchemaErrors.Mismatch("input", o.InputColumnName, expected, SchemaErrors.Describe(_input.Type));
            var d = vector.Dimensions;
            _frames = _channelsFirst ? d[1] : d[0];
            _height = d[2];
            _width = d[3];
            var spec = owner.Spec;
            int k = o.IncludeAttention ? 3 : 1;
            int[] dims = [k * o.LayersKept, _frames, spec.Tokens, spec.Width];
            _outputSize = dims.Aggregate(1, (a, b) => checked(a * b));
            OutputColumns = [new DataViewSchema.DetachedColumn(o.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, dims))];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public override IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs) => activeOutputs[0] ? [_input] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer)
        {
            disposer = null;
            if (!activeOutputs[0]) return [null];
            var source = input.GetGetter<VBuffer<float>>(_input);
            VBuffer<float> buffer = default;
            long cachedPosition = -1;
            float[]? cached = null;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                if (cached is null || input.Position != cachedPosition)
                {
                    source(ref buffer);
                    var dense = new float[buffer.Length];
                    buffer.CopyTo(dense);
                    using var scope = NewDisposeScope();
                    var clip = _channelsFirst
                        ? tensor(dense, [3, _frames, _height, _width]).permute(1, 0, 2, 3)
                        : tensor(dense, [_frames, 3, _height, _width]);
                    using var features = _owner.Featurize(clip);
                    cached = features.data<float>().ToArray();
                    cachedPosition = input.Position;
                }
                var editor = VBufferEditor.Create(ref value, _outputSize);
                cached.AsSpan().CopyTo(editor.Values);
                value = editor.Commit();
            };
            return [getter];
        }
    }
}
