using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Determinism;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using MLNetVideo.Persistence;
using TorchSharp;
using static TorchSharp.torch;

[assembly: PersistentTransformer(MLNetVideo.TestComponents.TinyLinearTransformer.Id, typeof(MLNetVideo.TestComponents.TinyLinearTransformer))]

namespace MLNetVideo.TestComponents;

/// <summary>Fits a torch Linear layer (features → one score per label key) with a few SGD steps.</summary>
public sealed class TinyLinearEstimator(MLContext mlContext, string featuresColumn, string labelColumn, string outputColumn, int steps = 20, int seed = 3)
    : IEstimator<TinyLinearTransformer>
{
    public TinyLinearTransformer Fit(IDataView input)
    {
        var featureType = input.Schema[featuresColumn].Type as VectorDataViewType
            ?? throw SchemaErrors.Mismatch("features", featuresColumn, "known-size Vector<Single>", input.Schema[featuresColumn].Type.ToString()!);
        var labelType = input.Schema[labelColumn].Type as KeyDataViewType
            ?? throw SchemaErrors.Mismatch("label", labelColumn, "Key", input.Schema[labelColumn].Type.ToString()!);
        var xs = new List<float[]>();
        var ys = new List<long>();
        using (var cursor = input.GetRowCursor(new[] { input.Schema[featuresColumn], input.Schema[labelColumn] }))
        {
            var fx = cursor.GetGetter<VBuffer<float>>(input.Schema[featuresColumn]);
            var fy = cursor.GetGetter<uint>(input.Schema[labelColumn]);
            VBuffer<float> x = default; uint y = 0;
            while (cursor.MoveNext()) { fx(ref x); fy(ref y); xs.Add(x.DenseValues().ToArray()); ys.Add(y - 1); }
        }
        int inFeatures = featureType.Size, classes = (int)labelType.Count;
        Seeding.ApplyToTorch(seed);
        var network = nn.Linear(inFeatures, classes);
        using var optimizer = optim.SGD(network.parameters(), 0.1);
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var batch = tensor(xs.SelectMany(v => v).ToArray(), new long[] { xs.Count, inFeatures });
            var labels = tensor(ys.ToArray());
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(network.call(batch), labels);
            loss.backward();
            optimizer.step();
        }
        return new TinyLinearTransformer(mlContext, new TinyLinearSettings(featuresColumn, outputColumn, inFeatures, classes), network);
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        => SchemaShapes.Append(inputSchema, SchemaShapes.Column(outputColumn, new VectorDataViewType(NumberDataViewType.Single, 1)));
}

/// <summary>Settings saved in the zip as JSON.</summary>
public sealed record TinyLinearSettings(string FeaturesColumn, string OutputColumn, int InFeatures, int Classes);

/// <summary>Applies the fitted Linear layer to every row, lazily.</summary>
public sealed class TinyLinearTransformer : RowMappingTransformerBase, IPersistentTransformer<TinyLinearTransformer>, IDisposable
{
    public const string Id = "MLNetVideo.Tests.TinyLinear";
    private readonly TinyLinearSettings _settings;
    private readonly TorchSharp.Modules.Linear _network;

    internal TinyLinearTransformer(IHostEnvironment environment, TinyLinearSettings settings, TorchSharp.Modules.Linear network)
    {
        _ = environment;
        _settings = settings;
        _network = network;
        _network.eval();
    }

    public static string ComponentId => Id;
    public static int ContentVersion => 1;

    /// <summary>The layer weights, for tests.</summary>
    public float[] WeightValues()
    {
        using var scope = NewDisposeScope();
        return _network.weight!.detach().cpu().data<float>().ToArray();
    }

    public static TinyLinearTransformer LoadFrom(ModelEntryReader reader)
    {
        var settings = reader.ReadJson<TinyLinearSettings>("Settings.json");
        var network = nn.Linear(settings.InFeatures, settings.Classes);
        reader.ReadModule("Weights.bin", network);
        return new TinyLinearTransformer(reader.Environment, settings, network);
    }

    protected override void SaveModel(ModelSaveContext context)
        => ModelZip.Save(context, this, writer =>
        {
            writer.WriteJson("Settings.json", _settings);
            writer.WriteModule("Weights.bin", _network);
        });

    protected override ColumnMapping CreateMapping(DataViewSchema inputSchema) => new Mapping(inputSchema, this);

    public void Dispose() => _network.Dispose();

    private sealed class Mapping : ColumnMapping
    {
        private readonly TinyLinearTransformer _parent;
        private readonly DataViewSchema.Column _input;

        public Mapping(DataViewSchema inputSchema, TinyLinearTransformer parent) : base(inputSchema)
        {
            _parent = parent;
            var column = inputSchema.GetColumnOrNull(parent._settings.FeaturesColumn)
                ?? throw SchemaErrors.ColumnNotFound("features", parent._settings.FeaturesColumn);
            if (column.Type is not VectorDataViewType { Size: var size } || size != parent._settings.InFeatures)
                throw SchemaErrors.Mismatch("features", column.Name, $"Vector<Single, {parent._settings.InFeatures}>", SchemaErrors.Describe(column.Type));
            _input = column;
            OutputColumns = [new DataViewSchema.DetachedColumn(parent._settings.OutputColumn, new VectorDataViewType(NumberDataViewType.Single, parent._settings.Classes))];
        }

        public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

        public override IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs)
            => activeOutputs[0] ? [_input] : [];

        public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer)
        {
            disposer = null;
            if (!activeOutputs[0]) return [null];
            var source = input.GetGetter<VBuffer<float>>(_input);
            VBuffer<float> features = default;
            var network = _parent._network;
            ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
            {
                source(ref features);
                using var noGrad = no_grad();
                using var scope = NewDisposeScope();
                var output = network.call(tensor(features.DenseValues().ToArray(), new long[] { 1, features.Length }));
                var values = output.cpu().data<float>().ToArray();
                var editor = VBufferEditor.Create(ref value, values.Length);
                values.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return [getter];
        }
    }
}
