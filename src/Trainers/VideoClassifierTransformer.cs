using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Devices;
using MLNetVideo.Errors;
using MLNetVideo.Persistence;
using MLNetVideo.Trainers.Common;
using TorchSharp;
using static TorchSharp.torch;
using MLNetVideo.Interop;

namespace MLNetVideo.Trainers;

/// <summary>
/// The fitted model of every MLNetVideo video trainer: reads the clip column and writes <c>Score</c> (class
/// probabilities, a known-size vector of <see cref="float"/> with the class names as SlotNames) and <c>PredictedLabel</c>
/// (a key with the label's KeyValues, so <c>MapKeyToValue</c> restores names and
/// <c>mlContext.MulticlassClassification.Evaluate</c> works unchanged), plus the family's extra columns when its network
/// computes any (AFNet's <c>SelectedFrameRatio</c>).
/// </summary>
/// <remarks>
/// Rows are scored lazily, one row per forward pass with all of its views batched (several rows per pass with
/// <see cref="ScoringBatchRows"/>); a row with K views gets the mean of the K softmax vectors. The network runs in eval mode under <c>torch.inference_mode()</c> on <see cref="Device"/>.
/// Saved inside the ML.NET model zip as <c>Spec.json</c> (architecture), <c>Classifier.json</c> (columns, clip shape,
/// classes, the device it trained on), <c>Training.json</c> (the options used) and <c>Weights.bin</c>. Family features are
/// extension members in the family's namespace (MoViNet's <c>CreateStream</c>, AFNet's <c>Predict</c>).
/// Dispose it to release the network's native memory.
/// </remarks>
/// <typeparam name="TSpec">The family's architecture spec (for example <c>S3DSpec</c>).</typeparam>
public sealed class VideoClassifierTransformer<TSpec> : RowMappingTransformerBase, IVideoClassifier, IDisposable
    where TSpec : class
{
    private readonly nn.Module<Tensor, Tensor> _network;
    private Device _device;
    private readonly Dictionary<string, object?> _trainingOptions;
    private readonly object _scoringGate = new();
    private ScoringBackend _scoringBackend = ScoringBackend.Auto;
    private int _scoringBatchRows;
    private Lazy<OnnxClassifierScoring?>? _onnx;
    private string? _onnxReason;
    private Task? _scoringWarmUp;
    private readonly IReadOnlyList<string> _extraColumns;
    private bool _disposed;

    /// <summary>Wraps a trained network (moved to <paramref name="device"/> and put in eval mode here).</summary>
    internal VideoClassifierTransformer(IHostEnvironment environment, VideoBackbone<TSpec> backbone, TSpec spec, nn.Module<Tensor, Tensor> network,
        VideoClassifierInfo info, IReadOnlyDictionary<string, object?> trainingOptions, Device device)
    {
        Environment = environment ?? throw new ArgumentNullException(nameof(environment));
        Backbone = backbone ?? throw new ArgumentNullException(nameof(backbone));
        Spec = spec ?? throw new ArgumentNullException(nameof(spec));
        _network = network ?? throw new ArgumentNullException(nameof(network));
        Info = info ?? throw new ArgumentNullException(nameof(info));
        _trainingOptions = new Dictionary<string, object?>(trainingOptions);
        _extraColumns = network is IVideoNetworkWithExtras ? backbone.ExtraOutputColumns : [];
        _device = device;
        _network.to(_device);
        _network.eval();
    }

    /// <summary>The ML.NET environment.</summary>
    private IHostEnvironment Environment { get; }

    /// <summary>The family.</summary>
    public VideoBackbone<TSpec> Backbone { get; }

    /// <summary>The architecture.</summary>
    public TSpec Spec { get; }

    /// <summary>Columns, clip geometry and classes.</summary>
    public VideoClassifierInfo Info { get; }

    /// <summary>The device this model scores on: the one it trained on after <c>Fit</c>; after a load, the one
    /// <c>VideoModelLoadOptions.Device</c> names, else the training device when this process has it, else the CPU.</summary>
    public Device Device => _device;

    /// <summary>Moves the model to another device for scoring (not while rows are being scored).</summary>
    /// <param name="device">"auto", "cpu", "cuda" or "cuda:N".</param>
    /// <exception cref="ArgumentException">The text is none of these forms.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for but this process cannot use it.</exception>
    public void UseDevice(string device)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var target = DeviceChoice.Parse(device, nameof(device)).Resolve();
        _network.to(target);
        _device = target;
        ScoringBackend = _scoringBackend;   // Auto depends on the device: decide again at the next row
    }

    /// <summary>The network (eval mode). Owned by this transformer.</summary>
    internal nn.Module<Tensor, Tensor> Network => _network;

    /// <summary>What runs the network when this transformer scores (default <see cref="ScoringBackend.Auto"/>: ONNX Runtime on
    /// the CPU where the network exports and ONNX Runtime is deployed, TorchSharp otherwise; see <see cref="ScoringBackend"/>).
    /// Not saved in the model zip.</summary>
    public ScoringBackend ScoringBackend
    {
        get => _scoringBackend;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, $"Unknown scoring backend {value}.");
            lock (_scoringGate)
            {
                if (_onnx is { IsValueCreated: true }) _onnx.Value?.Dispose();
                _onnx = null;
                _onnxReason = null;
                _scoringBackend = value;
            }
        }
    }

    /// <summary>Most rows a scoring cursor scores in one forward pass: 0 (default) picks <see cref="ActiveScoringBatchRows"/>
    /// from the device; 1 scores each row alone; 2 to <see cref="MaxScoringBatchRows"/> let a cursor that reads a whole data
    /// view in order read the next rows through a second cursor and score them together (the first row is always scored
    /// alone, so it waits for no other row). Each row's scores are those it gets alone (to rounding); an error stays with
    /// its own row. Single rows (<c>PredictionEngine</c>) and shuffled cursors are scored one at a time. Not saved in the
    /// model zip.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Below 0 or above <see cref="MaxScoringBatchRows"/>.</exception>
    public int ScoringBatchRows
    {
        get => _scoringBatchRows;
        set
        {
            if (value is < 0 or > MaxScoringBatchRows)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"ScoringBatchRows must be between 0 (automatic) and {MaxScoringBatchRows}; got {value}.");
            _scoringBatchRows = value;
        }
    }

    /// <summary>The largest accepted <see cref="ScoringBatchRows"/>.</summary>
    public const int MaxScoringBatchRows = 64;

    /// <summary>Rows per forward pass when <see cref="ScoringBatchRows"/> is 0: 1 on the CPU, where scoring rows together
    /// measured no faster per row than one at a time (BENCHMARKS.md, "Scoring rows in batches"); 8 on CUDA, where one row
    /// leaves the device mostly idle.</summary>
    public int ActiveScoringBatchRows => _scoringBatchRows > 0 ? _scoringBatchRows : _device.type == DeviceType.CUDA ? 8 : 1;

    /// <summary>The backend that scores now (Auto resolved): <see cref="ScoringBackend.OnnxRuntime"/> or
    /// <see cref="ScoringBackend.TorchSharp"/>.</summary>
    public ScoringBackend ActiveScoringBackend => OnnxScoring() is null ? ScoringBackend.TorchSharp : ScoringBackend.OnnxRuntime;

    /// <summary>Why <see cref="ScoringBackend.Auto"/> scores with TorchSharp (no exporter, extra columns, no ONNX Runtime, a
    /// CUDA device, or the export or session failed); null when ONNX Runtime scores or TorchSharp was asked for.</summary>
    public string? ScoringBackendReason
    {
        get
        {
            OnnxScoring();
            lock (_scoringGate)
                return _onnxReason;
        }
    }

    /// <summary>Resolves the scoring backend (the ONNX export and session) and runs it once on a blank row, on a background
    /// thread when a cursor opens, so that both overlap the first row's decoding instead of adding to it.</summary>
    private void PrepareScoring()
    {
        lock (_scoringGate)
        {
            if (_disposed || _scoringBackend == ScoringBackend.TorchSharp || _onnx is { IsValueCreated: true } || _scoringWarmUp is { IsCompleted: false })
                return;
            _scoringWarmUp = Task.Run(() =>
            {
                OnnxClassifierScoring? scoring;
                try
                {
                    scoring = OnnxScoring();
                }
                catch (Exception e) when (e is InvalidOperationException or NotSupportedException)
                {
                    // Cached by the Lazy: the first row that needs the backend meets the same error, attributed to it.
                    return;
                }
                try
                {
                    scoring?.WarmUp();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // Only a warm-up: a real row that fails the same way reports it on its own row.
                }
            });
        }
    }

    /// <summary>The background preparation started by the last cursor, if any (tests).</summary>
    internal Task? ScoringPreparation
    {
        get { lock (_scoringGate) return _scoringWarmUp; }
    }

    /// <summary>Runs of the ONNX Runtime session so far, its warm-up included; 0 before it exists (tests).</summary>
    internal long OnnxRuns
    {
        get { lock (_scoringGate) return _onnx is { IsValueCreated: true } onnx ? onnx.Value?.Runs ?? 0 : 0; }
    }

    private OnnxClassifierScoring? OnnxScoring()
    {
        Lazy<OnnxClassifierScoring?> onnx;
        lock (_scoringGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var backend = _scoringBackend;
            onnx = _onnx ??= new Lazy<OnnxClassifierScoring?>(() =>
            {
                var scoring = OnnxClassifierScoring.Create(backend, _network, Info, _device, ExtraOutputColumns, out string? reason);
                lock (_scoringGate)
                    _onnxReason = reason;
                return scoring;
            });
        }
        return onnx.Value;
    }

    /// <summary>Class probabilities of one row.</summary>
    /// <param name="clip">One row of the clip column: K × view floats (K ≥ 1).</param>
    /// <returns>Softmax probabilities averaged over the views.</returns>
    public float[] PredictProbabilities(ReadOnlySpan<float> clip) => PredictProbabilities([clip.ToArray()])[0];

    /// <summary>Class probabilities of several rows in one forward pass (batched inference).</summary>
    /// <param name="rows">Rows of the clip column, each K × view floats with the same K.</param>
    /// <returns>Per row, softmax probabilities averaged over its views.</returns>
    public float[][] PredictProbabilities(IReadOnlyList<float[]> rows) => PredictRows(rows).Probabilities;

    /// <summary>Forward passes (calls of <see cref="PredictRows"/>) so far (tests).</summary>
    internal long Forwards => Interlocked.Read(ref _forwards);

    private long _forwards;

    /// <summary>Names of the extra <see cref="float"/> columns written after PredictedLabel (empty for most families).</summary>
    public IReadOnlyList<string> ExtraOutputColumns => _extraColumns;

    /// <inheritdoc />
    public long ParameterCount() => _network.parameters().Sum(p => p.numel());

    /// <inheritdoc />
    public double? MultiplyAccumulates(float[] row)
    {
        ArgumentNullException.ThrowIfNull(row);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Backbone.MeasuredMultiplyAccumulates(this, row) is { } measured)
            return measured;
        using var fresh = Backbone.CreateNetwork(Spec);
        return NetworkCost.CountMacs(fresh, Info.Clip, Info.NetworkLayout, row) ?? Backbone.MultiplyAccumulates(Spec, Info.Clip with { Views = 1 });
    }

    private (Tensor Logits, Tensor? Extras) RunNetwork(Tensor clips)
        => _network is IVideoNetworkWithExtras withExtras && _extraColumns.Count > 0 ? withExtras.RunWithExtras(clips) : (_network.call(clips), null);

    /// <summary>Probabilities and extra outputs of several rows in one forward pass.</summary>
    /// <param name="rows">Rows of the clip column, each K × view floats with the same K.</param>
    /// <returns>Per row, softmax probabilities averaged over its views, and the extras averaged over its views (empty
    /// arrays when the family has none).</returns>
    internal (float[][] Probabilities, float[][] Extras) PredictRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows.Count == 0) return ([], []);
        Interlocked.Increment(ref _forwards);
        int viewSize = Info.Clip.ViewSize;
        int views = rows[0].Length / viewSize;
        if (views < 1 || rows.Any(r => r.Length != views * viewSize))
            throw new ArgumentException($"Each row must hold K × {viewSize} floats ({Info.Clip with { Views = 1 }}) with the same K.", nameof(rows));
        float[] Flat()
        {
            var flat = new float[(long)rows.Count * views * viewSize];
            for (int i = 0; i < rows.Count; i++)
                rows[i].CopyTo(flat, (long)i * views * viewSize);
            return flat;
        }
        // ONNX Runtime only reads its input, so one row is scored from its own array, not a copy.
        if (OnnxScoring() is { } onnx)
            return (onnx.Predict(rows.Count == 1 ? rows[0] : Flat(), rows.Count, views), [.. rows.Select(_ => Array.Empty<float>())]);
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var x = Info.Clip.ToTensor(Flat(), (long)rows.Count * views, Info.NetworkLayout, _device);
        var (logits, extras) = RunNetwork(x);
        var probabilities = nn.functional.softmax(logits, 1).view(rows.Count, views, Info.NumClasses).mean([1L]).cpu();
        var data = probabilities.data<float>().ToArray();
        var result = new float[rows.Count][];
        for (int i = 0; i < rows.Count; i++)
            result[i] = data.AsSpan(i * Info.NumClasses, Info.NumClasses).ToArray();
        int extraCount = _extraColumns.Count;
        var extraRows = new float[rows.Count][];
        float[] extraData = extraCount > 0 && extras is not null
            ? extras.to(ScalarType.Float32).view(rows.Count, views, extraCount).mean([1L]).cpu().data<float>().ToArray()
            : [];
        for (int i = 0; i < rows.Count; i++)
            extraRows[i] = extraData.Length > 0 ? extraData.AsSpan(i * extraCount, extraCount).ToArray() : new float[extraCount];
        return (result, extraRows);
    }

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(DataViewSchema inputSchema) => new ClassifierMapping(this, inputSchema, null);

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(IDataView input) => new ClassifierMapping(this, input.Schema, input);

    /// <inheritdoc />
    protected override void SaveModel(ModelSaveContext context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ModelZip.Save(context, Backbone.ComponentId, Backbone.ContentVersion, typeof(VideoClassifierTransformer<TSpec>), writer =>
        {
            writer.WriteJson("Spec.json", Spec);
            writer.WriteJson("Classifier.json", Info);
            writer.WriteJson("Training.json", _trainingOptions);
            writer.WriteModule("Weights.bin", _network);
        });
    }

    /// <summary>Restores a model from its zip entries: the family is found by the component id, an older content version
    /// is upgraded by the family, and the model scores on the device <see cref="VideoModelLoadOptions.Device"/> names
    /// (default: the one it trained on when this machine has it, else the CPU).</summary>
    /// <param name="reader">The transformer's zip entries.</param>
    /// <returns>The model.</returns>
    public static VideoClassifierTransformer<TSpec> LoadFrom(ModelEntryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var backbone = VideoBackbones.Find<TSpec>(reader.ComponentId);
        if (reader.ContentVersion < backbone.OldestContentVersion || reader.ContentVersion > backbone.ContentVersion)
            throw new InvalidDataException(
                $"The model zip holds a {backbone.FamilyName} of content version {reader.ContentVersion}; this MLNetVideo reads versions " +
                $"{backbone.OldestContentVersion} to {backbone.ContentVersion}: load it with the MLNetVideo that saved it, or a newer one.");
        var spec = backbone.UpgradeSpec(reader.ReadJson<TSpec>("Spec.json"), reader.ContentVersion);
        var info = reader.ReadJson<VideoClassifierInfo>("Classifier.json");
        var training = reader.Contains("Training.json") ? reader.ReadJson<Dictionary<string, object?>>("Training.json") : [];
        CheckLoadedInfo(reader.ComponentId, spec, info);
        nn.Module<Tensor, Tensor> network;
        try
        {
            network = backbone.CreateNetwork(spec);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The settings (Spec.json) of component {reader.ComponentId} in the model zip are not valid: {e.Message}", e);
        }
        try
        {
            if (reader.ContentVersion == backbone.ContentVersion)
                reader.ReadModule("Weights.bin", network);
            else
                reader.ReadModule("Weights.bin", network, (key, value) => backbone.UpgradeWeight(key, value, reader.ContentVersion));
            var device = DeviceResolver.ForScoring(reader.LoadOptions.Device, info.Device);
            return new VideoClassifierTransformer<TSpec>(reader.Environment, backbone, spec, network, info, training, device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Most classes a loaded classifier may have (the head is built before its weights are read).</summary>
    internal const int MaxClasses = 100_000;

    /// <summary>Checks what the settings of a loaded classifier promise before its network is built: a class count within
    /// <see cref="MaxClasses"/> that the spec and the class names agree on, and a positive clip shape.</summary>
    private static void CheckLoadedInfo(string componentId, TSpec spec, VideoClassifierInfo info)
    {
        string? problem = null;
        var specClasses = typeof(TSpec).GetProperty("NumClasses")?.GetValue(spec) as int?;
        if (string.IsNullOrWhiteSpace(info.ClipColumnName) || string.IsNullOrWhiteSpace(info.ScoreColumnName) || string.IsNullOrWhiteSpace(info.PredictedLabelColumnName))
            problem = "a column name is empty";
        else if (info.NumClasses is < 1 or > MaxClasses)
            problem = $"it has {info.NumClasses} classes (1 to {MaxClasses})";
        else if (specClasses is int count && count != info.NumClasses)
            problem = $"Spec.json says {count} classes and Classifier.json {info.NumClasses}";
        else if (info.ClassNames is { } names && names.Length != info.NumClasses)
            problem = $"it names {names.Length} classes for {info.NumClasses}";
        else if (info.Clip is null || info.Clip.ViewDimensions().Any(d => d < 1))
            problem = "its clip shape is not positive";
        if (problem is not null)
            throw new InvalidDataException($"The settings of component {componentId} in the model zip do not agree: {problem}.");
    }

    /// <summary>Releases the network.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Task? warmUp;
        lock (_scoringGate)
            warmUp = _scoringWarmUp;
        try
        {
            warmUp?.Wait();   // never dispose the network while it is being exported
        }
        catch (AggregateException)
        {
        }
        lock (_scoringGate)
        {
            _disposed = true;
            if (_onnx is { IsValueCreated: true }) _onnx.Value?.Dispose();
            _onnx = null;
        }
        _network.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class ClassifierMapping : ColumnMapping
    {
        private readonly VideoClassifierTransformer<TSpec> _owner;
        private readonly DataViewSchema.Column _clip;
        private readonly DataViewSchema.DetachedColumn[] _outputs;
        private readonly IDataView? _source;

        public ClassifierMapping(VideoClassifierTransformer<TSpec> owner, DataViewSchema inputSchema, IDataView? source) : base(inputSchema)
        {
            _owner = owner;
            _source = source;
            var info = owner.Info;
            _clip = inputSchema.GetColumnOrNull(info.ClipColumnName) ?? throw SchemaErrors.ColumnNotFound("clip", info.ClipColumnName);
            var geometry = ClipGeometry.TryFrom(_clip.Type, info.Clip.Layout);
            if (geometry is null || !geometry.SameView(info.Clip))
                throw SchemaErrors.Mismatch("clip", info.ClipColumnName,
                    $"Vector<Single, {string.Join(", ", info.Clip.ViewDimensions())}> or Vector<Single, K, {string.Join(", ", info.Clip.ViewDimensions())}>",
                    SchemaErrors.Describe(_clip.Type));
            uint scoreSet = NextScoreColumnSetId(inputSchema);
            _outputs = [ScoreColumn(info, scoreSet), PredictedLabelColumn(info, scoreSet),
                .. owner.ExtraOutputColumns.Select(name => new DataViewSchema.DetachedColumn(name, NumberDataViewType.Single))];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns => _outputs;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs)
            => activeOutputs.Any(a => a) ? [_clip] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer)
        {
            disposer = null;
            var getters = new Delegate?[_outputs.Length];
            if (!activeOutputs.Any(a => a))
                return getters;
            _owner.PrepareScoring();
            var clipGetter = input.GetGetter<VBuffer<float>>(_clip);
            var buffer = default(VBuffer<float>);
            long cachedPosition = -1;
            float[] probabilities = [];
            float[] extras = [];
            float[] values = [];
            var owner = _owner;
            var batches = Batches(input);
            ValueGetter<DataViewRowId>? idGetter = batches is null ? null : input.GetIdGetter();
            if (batches is not null)
                disposer = batches.Dispose;

            float[] Compute()
            {
                if (input.Position != cachedPosition || probabilities.Length == 0)
                {
                    if (batches is not null)
                    {
                        DataViewRowId id = default;
                        idGetter!(ref id);
                        if (batches.TryGet(id, out var batched, out var batchedExtras))
                        {
                            (probabilities, extras) = (batched, batchedExtras);
                            cachedPosition = input.Position;
                            return probabilities;
                        }
                    }
                    clipGetter(ref buffer);
                    // One array per cursor, reused row after row: a fresh multi-megabyte array per row costs as much as a
                    // small network's forward (new memory is page-faulted in on first write).
                    if (values.Length != buffer.Length)
                        values = new float[buffer.Length];
                    buffer.CopyTo(values);
                    var (p, e) = owner.PredictRows([values]);
                    (probabilities, extras) = (p[0], e[0]);
                    cachedPosition = input.Position;
                }
                return probabilities;
            }

            for (int k = 2; k < _outputs.Length; k++)
            {
                if (!activeOutputs[k])
                    continue;
                int extra = k - 2;
                getters[k] = (ValueGetter<float>)((ref float value) =>
                {
                    Compute();
                    value = extras[extra];
                });
            }

            if (activeOutputs[0])
            {
                getters[0] = (ValueGetter<VBuffer<float>>)((ref VBuffer<float> value) =>
                {
                    var p = Compute();
                    var editor = VBufferEditor.Create(ref value, p.Length);
                    p.CopyTo(editor.Values);
                    value = editor.Commit();
                });
            }
            if (activeOutputs[1])
            {
                getters[1] = (ValueGetter<uint>)((ref uint value) =>
                {
                    var p = Compute();
                    int best = 0;
                    for (int i = 1; i < p.Length; i++)
                        if (p[i] > p[best]) best = i;
                    value = (uint)best + 1;
                });
            }
            return getters;
        }

        /// <summary>Batches for a cursor over a whole data view that may score several rows per forward; null otherwise. Not
        /// over a source that may drop rows (MLNetVideo's own, such as LoadVideoFrames with OnDecodeError = Skip): its row
        /// filter decodes in every cursor, so a second cursor would decode each video twice.</summary>
        private ScoringBatches? Batches(DataViewRow input)
        {
            int rows = _owner.ActiveScoringBatchRows;
            if (rows < 2 || _source is null || input is not DataViewRowCursor || _source is MappedDataView { MayDropRows: true })
                return null;
            var owner = _owner;
            return new ScoringBatches(_source, _clip.Index, rows, clips => owner.PredictRows(clips));
        }

        // ML.NET's score-column annotations (the names of its internal AnnotationUtils.Kinds), as its own multiclass trainers write them: Score and PredictedLabel form one score
        // set (an id one above any set already in the input), of kind MulticlassClassification, so evaluators and other ML.NET
        // tooling find them by role.
        private static readonly KeyDataViewType ScoreColumnSetIdType = new(typeof(uint), int.MaxValue);

        private static uint NextScoreColumnSetId(DataViewSchema inputSchema)
        {
            uint max = 0;
            foreach (var column in inputSchema)
            {
                if (column.Annotations.Schema.GetColumnOrNull("ScoreColumnSetId") is { Type: KeyDataViewType { RawType: var raw } } && raw == typeof(uint))
                {
                    uint id = 0;
                    column.Annotations.GetValue("ScoreColumnSetId", ref id);
                    max = Math.Max(max, id);
                }
            }
            return max + 1;
        }

        private static void AddScoreAnnotations(DataViewSchema.Annotations.Builder annotations, uint scoreSet, string valueKind)
        {
            annotations.Add("ScoreColumnSetId", ScoreColumnSetIdType, (ref uint value) => value = scoreSet);
            var kind = "MulticlassClassification".AsMemory();
            annotations.Add("ScoreColumnKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = kind);
            var role = valueKind.AsMemory();
            annotations.Add("ScoreValueKind", TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = role);
        }

        private static DataViewSchema.DetachedColumn ScoreColumn(VideoClassifierInfo info, uint scoreSet)
        {
            var annotations = new DataViewSchema.Annotations.Builder();
            AddScoreAnnotations(annotations, scoreSet, "Score");
            if (info.ClassNames is { } names)
            {
                annotations.Add("SlotNames", new VectorDataViewType(TextDataViewType.Instance, names.Length), (ref VBuffer<ReadOnlyMemory<char>> value)
                    => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray()));
            }
            return new DataViewSchema.DetachedColumn(info.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, info.NumClasses), annotations.ToAnnotations());
        }

        private static DataViewSchema.DetachedColumn PredictedLabelColumn(VideoClassifierInfo info, uint scoreSet)
        {
            var annotations = new DataViewSchema.Annotations.Builder();
            AddScoreAnnotations(annotations, scoreSet, "PredictedLabel");
            if (info.ClassNames is { } names)
            {
                annotations.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, names.Length), (ref VBuffer<ReadOnlyMemory<char>> value)
                    => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names.Select(n => n.AsMemory()).ToArray()));
            }
            return new DataViewSchema.DetachedColumn(info.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), info.NumClasses), annotations.ToAnnotations());
        }
    }
}
