using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using MLNetVideo.Persistence;
using static TorchSharp.torch;

namespace MLNetVideo.TestComponents;

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
