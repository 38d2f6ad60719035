using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Determinism;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using MLNetVideo.Persistence;
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
