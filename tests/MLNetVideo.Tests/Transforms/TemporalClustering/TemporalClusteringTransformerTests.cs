using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Interop;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo.Tests.Transforms.TemporalClustering;

/// <summary>The ML.NET transform: schema, values, option and schema errors, zip round trip, PredictionEngine.</summary>
[TestClass]
public sealed class TemporalClusteringTransformerTests
{
    // 6 frames of 2 values; sign patterns ++ ++ -+ -+ +- +- (changes 0, 1, 0, 2, 0).
    private static readonly float[] VideoA = [1, 1, 2, 1, -1, 3, -2, 4, 5, -1, 6, -2];
    // Static signs: uniform segments.
    private static readonly float[] VideoB = [1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6];

    public sealed class FramesRow
    {
        [VectorType(6, 2)] public float[] Frames { get; set; } = [];
    }

    public sealed class FlatRow
    {
        [VectorType(12)] public float[] Frames { get; set; } = [];
    }

    public sealed class ClustersRow
    {
        [VectorType(2, 2)] public float[] Clusters { get; set; } = [];
    }

    private static FramesRow[] Rows => [new() { Frames = VideoA }, new() { Frames = VideoB }];

    private static float[][] Read(MLContext mlContext, IDataView data, string column = "Clusters")
    {
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        var rows = new List<float[]>();
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            rows.Add(value.DenseValues().ToArray());
        }
        return rows.ToArray();
    }

    [TestMethod]
    public void Transform_Cumulative_Mean_GivesHandComputedClusters_AndGxDType()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var model = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 2).Fit(data);
        var output = model.Transform(data);

        var type = (VectorDataViewType)output.Schema["Clusters"].Type;
        CollectionAssert.AreEqual(new[] { 2, 2 }, type.Dimensions.ToArray());
        var rows = Read(mlContext, output);
        // A: D = 0 0 1 1 3 3, δ = 1.5 → frames 0..3 and 4..5. Means: (0, 2.25) and (5.5, −1.5).
        CollectionAssert.AreEqual(new[] { 0f, 2.25f, 5.5f, -1.5f }, rows[0]);
        // B: static → uniform halves, frames 0..2 and 3..5. Means: (2, 2) and (5, 5).
        CollectionAssert.AreEqual(new[] { 2f, 2f, 5f, 5f }, rows[1]);
    }

    [TestMethod]
    public void Transform_Slope_Sum_ThreeClusters()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var output = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 3,
            method: ClusteringMethod.Slope, aggregation: ClusterAggregation.Sum).Fit(data).Transform(data);
        // A: cuts after frames 3 (change 2) and 1 (change 1) → {0,1} {2,3} {4,5}.
        CollectionAssert.AreEqual(new[] { 3f, 2f, -3f, 7f, 11f, -3f }, Read(mlContext, output)[0]);
    }

    public sealed class SparseRow
    {
        [VectorType(6, 2)] public VBuffer<float> Frames { get; set; }
    }

    [TestMethod]
    public void SparseInput_GivesTheSameClustersAsItsDenseForm()
    {
        var mlContext = new MLContext(seed: 1);
        float[] dense = [0, 1, 0, 2, 3, 0, 4, 0, 0, 0, 0, 5];   // signs 0+ 0+ +0 +0 00 0+: changes 0, 2, 0, 1, 1
        var indices = Enumerable.Range(0, 12).Where(i => dense[i] != 0).ToArray();
        var sparse = new VBuffer<float>(12, indices.Length, indices.Select(i => dense[i]).ToArray(), indices);
        var estimator = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 3, aggregation: ClusterAggregation.Sum);
        var fromSparse = Read(mlContext, estimator.Fit(mlContext.Data.LoadFromEnumerable(new[] { new SparseRow { Frames = sparse } }))
            .Transform(mlContext.Data.LoadFromEnumerable(new[] { new SparseRow { Frames = sparse }, new SparseRow { Frames = sparse } })));
        var expected = TemporalClusterer.ClusterAndAggregate(dense, 6, 3, ClusteringMethod.Cumulative, ClusterAggregation.Sum);
        // D = 0 0 2 2 3 4, δ = 4/3 → {0,1} {2,3} {4,5}: sums (0, 3), (7, 0), (0, 5).
        CollectionAssert.AreEqual(new float[] { 0, 3, 7, 0, 0, 5 }, expected);
        CollectionAssert.AreEqual(expected, fromSparse[0]);
        CollectionAssert.AreEqual(expected, fromSparse[1]);
    }

    [TestMethod]
    public void FlatVectorWithFramesPerRow_EqualsTheShapedColumn()
    {
        var mlContext = new MLContext(seed: 1);
        var flat = mlContext.Data.LoadFromEnumerable(Rows.Select(r => new FlatRow { Frames = r.Frames }));
        var output = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 2, framesPerRow: 6)
            .Fit(flat).Transform(flat);
        var type = (VectorDataViewType)output.Schema["Clusters"].Type;
        CollectionAssert.AreEqual(new[] { 2, 2 }, type.Dimensions.ToArray());
        var rows = Read(mlContext, output);
        CollectionAssert.AreEqual(new[] { 0f, 2.25f, 5.5f, -1.5f }, rows[0]);
        CollectionAssert.AreEqual(new[] { 2f, 2f, 5f, 5f }, rows[1]);
    }

    public sealed class ImageRow
    {
        [VectorType(4, 2, 3)] public float[] Frames { get; set; } = [];
    }

    public sealed class TextRow
    {
        public string Frames { get; set; } = "";
    }

    [TestMethod]
    public void TrailingDimensions_AreKept()
    {
        var mlContext = new MLContext(seed: 1);
        // 4 frames of [2, 3]; frame t holds t + 1 everywhere, so the sum over g = 1 cluster is 10 everywhere.
        var frames = Enumerable.Range(0, 4).SelectMany(t => Enumerable.Repeat(t + 1f, 6)).ToArray();
        var data = mlContext.Data.LoadFromEnumerable(new[] { new ImageRow { Frames = frames } });
        var output = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 1, aggregation: ClusterAggregation.Sum)
            .Fit(data).Transform(data);
        var type = (VectorDataViewType)output.Schema["Clusters"].Type;
        CollectionAssert.AreEqual(new[] { 1, 2, 3 }, type.Dimensions.ToArray());
        CollectionAssert.AreEqual(Enumerable.Repeat(10f, 6).ToArray(), Read(mlContext, output)[0]);
    }

    /// <summary>SchemaShape.Create is internal in ML.NET 5.0.1: build the shape from the columns.</summary>
    private static SchemaShape ShapeOf(DataViewSchema schema)
        => SchemaShapes.Annotations(schema.Select(c => SchemaShapes.Column(c.Name, c.Type)).ToArray());

    [TestMethod]
    public void GetOutputSchema_AddsAKnownSizeSingleVector()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var shape = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames").GetOutputSchema(ShapeOf(data.Schema));
        var column = shape.Single(c => c.Name == "Clusters");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, column.Kind);
        Assert.AreEqual(NumberDataViewType.Single, column.ItemType);
        Assert.IsTrue(shape.Any(c => c.Name == "Frames"));
    }

    [TestMethod]
    public void MissingOrWrongInputColumn_GivesMLNetWordedSchemaErrors()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var flat = mlContext.Data.LoadFromEnumerable(Rows.Select(r => new FlatRow { Frames = r.Frames }));

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.AggregateTemporalClusters("Clusters", "Nope").Fit(data));
        StringAssert.Contains(missing.Message, "Could not find input column 'Nope'");

        var noFrames = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames").Fit(flat));
        StringAssert.Contains(noFrames.Message, "Schema mismatch for input column 'Frames'");
        StringAssert.Contains(noFrames.Message, "set FramesPerRow");
        StringAssert.Contains(noFrames.Message, "got Vector<Single, 12>");

        var notDivisible = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", framesPerRow: 5).Fit(flat));
        StringAssert.Contains(notDivisible.Message, "a multiple of FramesPerRow (5), got Vector<Single, 12>");

        var text = mlContext.Data.LoadFromEnumerable(new[] { new TextRow { Frames = "x" } });
        var wrongType = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames").GetOutputSchema(ShapeOf(text.Schema)));
        StringAssert.Contains(wrongType.Message, "Schema mismatch for input column 'Frames': expected known-size Vector<Single>, got String");
    }

    [TestMethod]
    public void BadOptions_FailAtConstruction_NamingTheOption()
    {
        var transforms = new MLContext().Transforms;
        var g = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => transforms.AggregateTemporalClusters("C", "F", clusterCount: 0));
        StringAssert.Contains(g.Message, "ClusterCount must be positive; got 0.");
        var t = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => transforms.AggregateTemporalClusters("C", "F", framesPerRow: -3));
        StringAssert.Contains(t.Message, "FramesPerRow must be positive; got -3.");
        var m = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => transforms.AggregateTemporalClusters("C", "F", method: (ClusteringMethod)7));
        StringAssert.Contains(m.Message, "Method must be one of Cumulative, Slope; got 7.");
        var name = Assert.ThrowsExactly<ArgumentException>(() => transforms.AggregateTemporalClusters(" "));
        StringAssert.Contains(name.Message, "OutputColumnName must be a non-empty string.");
    }

    [TestMethod]
    public void OptionsObject_IsCopied_LaterEditsChangeNothing()
    {
        var mlContext = new MLContext(seed: 1);
        var options = new TemporalClusteringEstimator.Options { InputColumnName = "Frames", ClusterCount = 2 };
        var estimator = mlContext.Transforms.AggregateTemporalClusters(options);
        options.ClusterCount = 5;
        options.OutputColumnName = "Other";
        var transformer = estimator.Fit(mlContext.Data.LoadFromEnumerable(Rows));
        Assert.AreEqual(2, transformer.ClusterCount);
        Assert.AreEqual("Clusters", transformer.OutputColumnName);
        Assert.AreEqual(ClusterAggregation.Mean, transformer.Aggregation);
        Assert.AreEqual(ClusteringMethod.Cumulative, transformer.Method);
    }

    [TestMethod]
    public void SaveThenLoad_InFreshMLContext_GivesIdenticalOutputs_AndPredictionEngineWorks()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var model = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 2,
            method: ClusteringMethod.Slope, aggregation: ClusterAggregation.Sum).Fit(data);
        var before = Read(mlContext, model.Transform(data));
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        var entries = ZipEditing.EntryNames(zip);
        Assert.IsTrue(entries.Any(e => e.EndsWith("/Options.json", StringComparison.Ordinal)), string.Join(", ", entries));

        var fresh = new MLContext(seed: 42);
        var loaded = fresh.Model.Load(zip, out var inputSchema);
        Assert.IsInstanceOfType<TemporalClusteringTransformer>(loaded);
        var restored = (TemporalClusteringTransformer)loaded;
        Assert.AreEqual(ClusteringMethod.Slope, restored.Method);
        Assert.AreEqual(ClusterAggregation.Sum, restored.Aggregation);
        Assert.AreEqual(2, restored.ClusterCount);
        var after = Read(fresh, loaded.Transform(fresh.Data.LoadFromEnumerable(Rows)));
        Assert.AreEqual(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
        // A: slope g = 2 cuts after frame 3 → sums (0, 9) and (11, −3).
        CollectionAssert.AreEqual(new[] { 0f, 9f, 11f, -3f }, after[0]);

        var engine = fresh.Model.CreatePredictionEngine<FramesRow, ClustersRow>(loaded, inputSchema);
        CollectionAssert.AreEqual(before[0], engine.Predict(new FramesRow { Frames = VideoA }).Clusters);
        CollectionAssert.AreEqual(before[1], engine.Predict(new FramesRow { Frames = VideoB }).Clusters);
    }
}
