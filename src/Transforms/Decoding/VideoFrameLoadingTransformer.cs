using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using MLNetVideo.Persistence;
using MLNetVideo.Transforms.Decoding;

[assembly: PersistentTransformer(VideoFrameLoadingTransformer.Id, typeof(VideoFrameLoadingTransformer))]

namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// The fitted form of <see cref="VideoFrameLoadingEstimator"/>: a lazy transform that decodes one clip per row when a
/// cursor reads it. Works in <c>PredictionEngine</c> and is saved in the model zip by <c>mlContext.Model.Save</c>.
/// </summary>
/// <remarks>See <see cref="VideoFrameLoadingEstimator"/> for the column types and the layout of multi-view rows.</remarks>
public sealed class VideoFrameLoadingTransformer : RowMappingTransformerBase, IPersistentTransformer<VideoFrameLoadingTransformer>
{
    internal const string Id = "MLNetVideo.VideoFrameLoading";
    private const string OptionsEntry = "Options.json";
    private const string LogSource = "LoadVideoFrames";

    private readonly IHostEnvironment _environment;
    private readonly VideoFrameLoadingEstimator.Options _options;
    private readonly ClipLoader _loader;
    private long _skipped;
    private long _filled;

    internal VideoFrameLoadingTransformer(IHostEnvironment environment, VideoFrameLoadingEstimator.Options options)
    {
        _environment = environment;
        _options = options;
        _loader = new ClipLoader(options);
        OutputType = OutputTypeOf(options);
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <summary>The type of the output column: a known-size float vector whose dimensions are in the type.</summary>
    public VectorDataViewType OutputType { get; }

    /// <summary>Name of the text annotation on the output column that names its dimensions, for example
    /// "frames,channels,height,width" or, for multi-view rows, "views,frames,channels,height,width; view = clip × 3 + crop".</summary>
    public const string LayoutAnnotationName = "ClipLayout";

    /// <summary>The value of the <see cref="LayoutAnnotationName"/> annotation.</summary>
    public string LayoutDescription
    {
        get
        {
            string clip = _options.Layout == ClipLayout.Tchw ? "frames,channels,height,width" : "channels,frames,height,width";
            return _options.Views == 1 ? clip
                : $"views,{clip}; {_options.Views} views = {_options.ClipsPerVideo} clips × {_options.SpatialCrops} crops, view = clip × {_options.SpatialCrops} + crop";
        }
    }

    /// <summary>Name of the output column.</summary>
    public string OutputColumnName => _options.OutputColumnName;

    /// <summary>Name of the input (path) column.</summary>
    public string InputColumnName => _options.InputColumnName!;

    /// <summary>Rows dropped by <see cref="DecodeErrorPolicy.Skip"/> so far (all cursors of this transformer).</summary>
    public long SkippedRowCount => Interlocked.Read(ref _skipped);

    /// <summary>Rows filled with zeros by <see cref="DecodeErrorPolicy.Fill"/> (or Skip in a single-row context) so far.</summary>
    public long FilledRowCount => Interlocked.Read(ref _filled);

    /// <summary>A copy of the settings, with the seed that was resolved at fit time.</summary>
    /// <returns>The options.</returns>
    public VideoFrameLoadingEstimator.Options GetOptions() => _options.Clone();

    internal static VectorDataViewType OutputTypeOf(VideoFrameLoadingEstimator.Options options)
        => new(NumberDataViewType.Single, options.Dimensions());

    internal static DataViewSchema.Column CheckInput(DataViewSchema schema, string name)
    {
        var column = schema.GetColumnOrNull(name) ?? throw SchemaErrors.ColumnNotFound("input", name);
        if (column.Type is not TextDataViewType)
            throw SchemaErrors.Mismatch("input", name, "String", SchemaErrors.Describe(column.Type));
        return column;
    }

    /// <summary>The path column and the optional segment columns (Single or Double scalars).</summary>
    internal static (DataViewSchema.Column Path, DataViewSchema.Column? Start, DataViewSchema.Column? End) CheckInputs(
        DataViewSchema schema, VideoFrameLoadingEstimator.Options options)
    {
        DataViewSchema.Column? Segment(string? name)
        {
            if (name is null)
                return null;
            var column = schema.GetColumnOrNull(name) ?? throw SchemaErrors.ColumnNotFound("segment", name);
            if (column.Type != NumberDataViewType.Single && column.Type != NumberDataViewType.Double)
                throw SchemaErrors.Mismatch("segment", name, "Single or Double", SchemaErrors.Describe(column.Type));
            return column;
        }
        return (CheckInput(schema, options.InputColumnName!), Segment(options.StartSecondsColumnName), Segment(options.EndSecondsColumnName));
    }

    /// <summary>Reads a Single or Double segment column as seconds; no column: NaN (no bound).</summary>
    private static Func<double> SegmentGetter(DataViewRow input, DataViewSchema.Column? column)
    {
        if (column is not { } c)
            return static () => double.NaN;
        if (c.Type == NumberDataViewType.Double)
        {
            var getDouble = input.GetGetter<double>(c);
            return () => { double v = 0; getDouble(ref v); return v; };
        }
        // As the decimal the float was written from (15.6f is 15.6000004, which would round up to the next frame).
        var getSingle = input.GetGetter<float>(c);
        return () =>
        {
            float v = 0;
            getSingle(ref v);
            return float.IsFinite(v) ? double.Parse(v.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : v;
        };
    }

    /// <inheritdoc />
    public static VideoFrameLoadingTransformer LoadFrom(ModelEntryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ContentVersion != ContentVersion)
            throw new InvalidDataException(
                $"The model zip holds {Id} content version {reader.ContentVersion}; this MLNetVideo reads version {ContentVersion}.");
        var options = reader.ReadJson<VideoFrameLoadingEstimator.Options>(OptionsEntry);
        // The zip names no program (older zips' FfmpegPath/FfprobePath are ignored when read), and its folder and limits
        // are replaced by the loading application's.
        options.Rebind(reader.LoadOptions);
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The settings of {Id} in the model zip are not valid: {e.Message}", e);
        }
        options.InputColumnName ??= options.OutputColumnName;
        return new VideoFrameLoadingTransformer(reader.Environment, options);
    }

    /// <inheritdoc />
    protected override void SaveModel(ModelSaveContext context)
        => ModelZip.Save(context, this, writer => writer.WriteJson(OptionsEntry, _options));

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(DataViewSchema inputSchema) => new Mapping(this, inputSchema, null);

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(IDataView input) => new Mapping(this, input.Schema, input);

    /// <summary>Rows a cursor decodes ahead: <see cref="VideoFrameLoadingEstimator.Options.ReadAheadRows"/>, fewer when the
    /// rows ahead would hold more than 1 GiB.</summary>
    internal int ReadAheadDepth => (int)Math.Min(_options.ReadAheadRows, (1L << 30) / ((long)_loader.Size * sizeof(float)));

    /// <summary>Rows served by read-ahead workers so far (all cursors; tests).</summary>
    internal long ReadAheadServed => Interlocked.Read(ref _readAheadServed);

    private long _readAheadServed;

    /// <summary>Decodes one row outside any IDataView (used by tests and benchmarks).</summary>
    internal void LoadInto(string path, long row, float[] destination, CancellationToken cancellation = default)
        => _loader.Load(path, row, destination, cancellation);

    private void Report(VideoDecodingException error, bool skipped)
    {
        Interlocked.Increment(ref skipped ? ref _skipped : ref _filled);
        MLNetHost.LogWarning(_environment, LogSource, $"{(skipped ? "Skipped" : "Filled with zeros")}: {error.Message}");
    }

    private sealed class Mapping : ColumnMapping
    {
        private readonly VideoFrameLoadingTransformer _parent;
        private readonly DataViewSchema.Column _input;
        private readonly DataViewSchema.Column? _start, _end;
        private readonly IDataView? _source;

        public Mapping(VideoFrameLoadingTransformer parent, DataViewSchema inputSchema, IDataView? source) : base(inputSchema)
        {
            _parent = parent;
            _source = source;
            (_input, _start, _end) = CheckInputs(inputSchema, parent._options);
            var annotations = new DataViewSchema.Annotations.Builder();
            var layout = parent.LayoutDescription.AsMemory();
            annotations.Add(LayoutAnnotationName, TextDataViewType.Instance, (ref ReadOnlyMemory<char> value) => value = layout);
            OutputColumns = [new DataViewSchema.DetachedColumn(parent.OutputColumnName, parent.OutputType, annotations.ToAnnotations())];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public override bool MayDropRows => _parent._options.OnDecodeError == DecodeErrorPolicy.Skip;

        public override IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs)
            => activeOutputs[0] ? new[] { _input, _start, _end }.OfType<DataViewSchema.Column>() : [];

        public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer)
            => CreateGetters(input, activeOutputs, out disposer, out _);

        public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer, out Func<bool>? rowFilter)
        {
            disposer = null;
            rowFilter = null;
            if (!activeOutputs[0])
                return [null];
            var parent = _parent;
            var policy = parent._options.OnDecodeError;
            var pathGetter = input.GetGetter<ReadOnlyMemory<char>>(_input);
            var startGetter = SegmentGetter(input, _start);
            var endGetter = SegmentGetter(input, _end);
            var environment = parent._environment;
            var clip = GC.AllocateUninitializedArray<float>(parent._loader.Size);   // every element is written by a decode or cleared on error
            long cachedPosition = -1;
            VideoDecodingException? error = null;
            bool reported = false;
            ReadOnlyMemory<char> path = default;

            // Read-ahead (issue 22): a cursor over a whole data view decodes the next rows on a worker while the caller
            // computes. Only for cursors (not PredictionEngine's single row) that read in the source's order.
            ClipReadAhead? readAhead = null;
            ValueGetter<DataViewRowId>? idGetter = null;
            int depth = parent.ReadAheadDepth;
            bool canReadAhead = _source is not null && depth > 0 && input is DataViewRowCursor;
            var source = _source;
            var (inputColumn, startColumn, endColumn) = (_input, _start, _end);
            if (canReadAhead)
            {
                idGetter = input.GetIdGetter();
                disposer = () =>
                {
                    if (readAhead is not null)
                        Interlocked.Add(ref parent._readAheadServed, readAhead.Served);
                    readAhead?.Dispose();
                };
            }

            bool TryReadAhead(long position, string pathText)
            {
                if (!canReadAhead)
                    return false;
                if (readAhead is null)
                {
                    var columns = new[] { inputColumn, startColumn, endColumn }.OfType<DataViewSchema.Column>().Select(c => source!.Schema[c.Index]);
                    var cursor = source!.GetRowCursor(columns);
                    readAhead = new ClipReadAhead(parent._loader, depth, cursor, cursor.GetGetter<ReadOnlyMemory<char>>(cursor.Schema[inputColumn.Index]),
                        SegmentGetter(cursor, startColumn is { } s ? cursor.Schema[s.Index] : null),
                        SegmentGetter(cursor, endColumn is { } e ? cursor.Schema[e.Index] : null),
                        () => MLNetHost.IsCancelled(environment));
                }
                DataViewRowId id = default;
                idGetter!(ref id);
                if (!readAhead.TryTake(id, position, pathText, ref clip, out var failed))
                {
                    canReadAhead = readAhead.Active;
                    return false;
                }
                if (failed is not null)
                {
                    error = failed.AtRow(position);
                    Array.Clear(clip);
                }
                return true;
            }

            void Load()
            {
                long position = input.Position;
                if (position == cachedPosition)
                    return;
                cachedPosition = -1;   // set again only when this row is fully loaded or failed as a decoding error
                error = null;
                reported = false;
                pathGetter(ref path);
                if (MLNetHost.IsCancelled(environment))
                    throw new OperationCanceledException("LoadVideoFrames: the MLContext's execution was cancelled.");
                if (TryReadAhead(position, path.ToString()))
                {
                    cachedPosition = position;
                    return;
                }
                if (MLNetHost.IsCancelled(environment))
                    throw new OperationCanceledException("LoadVideoFrames: the MLContext's execution was cancelled.");
                try
                {
                    // ML.NET's execution cancellation stops a running decoder: polled while this row decodes.
                    using var cancellation = new CancellationTokenSource();
                    using var poll = new Timer(_ =>
                    {
                        if (MLNetHost.IsCancelled(environment))
                        {
                            try { cancellation.Cancel(); } catch (ObjectDisposedException) { }
                        }
                    }, null, 200, 200);
                    parent._loader.Load(path.ToString(), position, clip, cancellation.Token, startGetter(), endGetter());
                }
                catch (VideoDecodingException e)
                {
                    error = e.AtRow(position);
                    Array.Clear(clip);
                }
                cachedPosition = position;
            }

            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                Load();
                if (error is not null)
                {
                    if (policy == DecodeErrorPolicy.Throw)
                        throw error;
                    if (!reported)
                    {
                        reported = true;
                        parent.Report(error, skipped: false);
                    }
                }
                var editor = VBufferEditor.Create(ref value, clip.Length);
                clip.AsSpan().CopyTo(editor.Values);
                value = editor.Commit();
            };
            if (policy == DecodeErrorPolicy.Skip)
            {
                rowFilter = () =>
                {
                    Load();
                    if (error is null)
                        return true;
                    reported = true;
                    parent.Report(error, skipped: true);
                    return false;
                };
            }
            return [getter];
        }
    }
}
