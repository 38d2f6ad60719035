using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Errors;
using MLNetVideo.Persistence;
using MLNetVideo.Transforms.TemporalClustering;
using MLNetVideo.Interop;

[assembly: PersistentTransformer(TemporalClusteringTransformer.Id, typeof(TemporalClusteringTransformer))]

namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>
/// Reduces each row's T×D per-frame features to g×D cluster aggregates (see <see cref="TemporalClusteringEstimator"/>).
/// Rows are computed lazily when a cursor reads them; the transformer works in a <c>PredictionEngine</c> and is saved
/// inside the model zip by <c>mlContext.Model.Save</c> (its settings only: it has no learned state).
/// </summary>
public sealed class TemporalClusteringTransformer : RowMappingTransformerBase, IPersistentTransformer<TemporalClusteringTransformer>
{
    internal const string Id = "MLNetVideo.TemporalClustering";
    private const string OptionsEntry = "Options.json";
    private readonly TemporalClusteringEstimator.Options _options;

    internal TemporalClusteringTransformer(IHostEnvironment environment, TemporalClusteringEstimator.Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        _options = options.Resolved();
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <summary>The column of per-frame features.</summary>
    public string InputColumnName => _options.InputColumnName!;

    /// <summary>The column of cluster aggregates.</summary>
    public string OutputColumnName => _options.OutputColumnName;

    /// <summary>g, the number of clusters per row.</summary>
    public int ClusterCount => _options.ClusterCount;

    /// <summary>The clustering method.</summary>
    public ClusteringMethod Method => _options.Method;

    /// <summary>Sum or mean of each cluster's frames.</summary>
    public ClusterAggregation Aggregation => _options.Aggregation;

    /// <summary>T when set explicitly; <see langword="null"/> when it comes from the input column's first dimension.</summary>
    public int? FramesPerRow => _options.FramesPerRow;

    /// <inheritdoc />
    public static TemporalClusteringTransformer LoadFrom(ModelEntryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ContentVersion != ContentVersion)
            throw new InvalidDataException(
                $"Component {Id} was saved with content version {reader.ContentVersion}; this MLNetVideo reads version {ContentVersion}.");
        var options = reader.ReadJson<TemporalClusteringEstimator.Options>(OptionsEntry);
        try
        {
            return new TemporalClusteringTransformer(reader.Environment, options);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Entry '{OptionsEntry}' of component {Id} holds invalid settings: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    protected override void SaveModel(ModelSaveContext context)
        => ModelZip.Save(context, this, writer => writer.WriteJson(OptionsEntry, _options));

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(DataViewSchema inputSchema) => new Mapping(inputSchema, _options);

    /// <summary>T and the per-frame dimensions of an input column type, or the ML.NET-worded schema error.</summary>
    internal static (int Frames, int[] FeatureDimensions) ResolveLayout(string columnName, DataViewType type, int? framesPerRow)
    {
        string expected = framesPerRow is { } t
            ? $"known-size Vector<Single> whose size is a multiple of FramesPerRow ({t})"
            : "known-size Vector<Single> with dimensions [frames, features...] (or set FramesPerRow for a flat vector)";
        if (type is not VectorDataViewType { IsKnownSize: true } vector || !vector.ItemType.Equals(NumberDataViewType.Single))
            throw SchemaErrors.Mismatch("input", columnName, expected, SchemaErrors.Describe(type));
        var dimensions = vector.Dimensions;
        if (framesPerRow is { } frames)
        {
            if (vector.Size % frames != 0)
                throw SchemaErrors.Mismatch("input", columnName, expected, SchemaErrors.Describe(type));
            return dimensions.Length >= 2 && dimensions[0] == frames
                ? (frames, dimensions.Skip(1).ToArray())
                : (frames, [vector.Size / frames]);
        }
        if (dimensions.Length < 2)
            throw SchemaErrors.Mismatch("input", columnName, expected, SchemaErrors.Describe(type));
        return (dimensions[0], dimensions.Skip(1).ToArray());
    }

    private sealed class Mapping : ColumnMapping
    {
        private readonly TemporalClusteringEstimator.Options _options;
        private readonly DataViewSchema.Column _input;
        private readonly int _frames;
        private readonly int _featureLength;

        public Mapping(DataViewSchema inputSchema, TemporalClusteringEstimator.Options options) : base(inputSchema)
        {
            _options = options;
            string name = options.InputColumnName!;
            _input = inputSchema.GetColumnOrNull(name) ?? throw SchemaErrors.ColumnNotFound("input", name);
            var (frames, featureDimensions) = ResolveLayout(name, _input.Type, options.FramesPerRow);
            _frames = frames;
            _featureLength = featureDimensions.Aggregate(1, (a, b) => checked(a * b));
            if ((long)options.ClusterCount * _featureLength > Array.MaxLength)
                throw new ArgumentOutOfRangeException(nameof(options.ClusterCount), options.ClusterCount,
                    $"ClusterCount × the per-frame feature size ({options.ClusterCount} × {_featureLength}) is larger than one row can hold.");
            int[] outputDimensions = [options.ClusterCount, .. featureDimensions];
            OutputColumns = [new DataViewSchema.DetachedColumn(options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, outputDimensions))];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public override IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs)
            => activeOutputs[0] ? [_input] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer)
        {
            disposer = null;
            if (!activeOutputs[0])
                return [null];
            var source = input.GetGetter<VBuffer<float>>(_input);
            int frames = _frames, featureLength = _featureLength, clusterCount = _options.ClusterCount;
            var method = _options.Method;
            var aggregation = _options.Aggregation;
            VBuffer<float> buffer = default;
            float[]? dense = null;   // per cursor: only for sparse inputs
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                source(ref buffer);
                ReadOnlySpan<float> values;
                if (buffer.IsDense)
                {
                    values = buffer.GetValues();
                }
                else
                {
                    dense ??= new float[buffer.Length];
                    buffer.CopyTo(dense);
                    values = dense;
                }
                var clusters = TemporalClusterer.Cluster(values, frames, clusterCount, method);
                var editor = VBufferEditor.Create(ref value, clusterCount * featureLength);
                TemporalClusterer.Aggregate(values, frames, clusters, aggregation, editor.Values);
                value = editor.Commit();
            };
            return [getter];
        }
    }
}
