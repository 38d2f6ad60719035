using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Onnx;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Core.MLNetInterop;

/// <summary>
/// The ML.NET side of the libtorch-free zip (issue 22, <see cref="VideoClassifierOnnxDeployment"/>): ML.NET's ONNX
/// transformer, then the multiclass scorer that MulticlassScoreBridge builds through an internal ML.NET constructor, with a
/// named PredictedLabel. Run on ML.NET 5.0.1 here and on 6.0.0 in MLNetVideo.Tests.MLNet6: built, saved, loaded and scored on this
/// host's ML.NET; loaded and scored in a fresh process on ML.NET 5.0.1 (tests/ZipConsumer), which saves it again for this
/// host to load. So on 6.0.0 a zip saved by either version scores the same under both.
/// </summary>
[TestClass]
public sealed class OnnxOnlyZipTests
{
    private static readonly string[] Classes = ["walk", "run", "jump", "sit"];
    private static readonly float[][] Rows = [[1f, 0f, 0.5f], [0f, 1f, -0.5f], [-1f, 0.3f, 2f], [0.2f, -0.8f, -1.5f]];

    // The graph's classifier: Softmax(x · W + b), W [3, 4] row-major.
    private static readonly float[] Weights = [2f, -1f, 0.5f, 0f, -1f, 2f, 0f, 0.5f, 0.5f, 0f, 1.5f, -2f];
    private static readonly float[] Bias = [0.1f, 0f, -0.2f, 0.3f];

    private sealed class Row
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
    }

    /// <summary>What the graph computes, in double precision: the probabilities and the name of the most probable class.</summary>
    private static (string Label, float[] Scores)[] Expected() => Rows.Select(x =>
    {
        var logits = Enumerable.Range(0, Classes.Length).Select(c => Bias[c] + Enumerable.Range(0, x.Length).Sum(i => (double)x[i] * Weights[i * Classes.Length + c])).ToArray();
        var exp = logits.Select(l => Math.Exp(l - logits.Max())).ToArray();
        var p = exp.Select(e => (float)(e / exp.Sum())).ToArray();
        return (Classes[Array.IndexOf(p, p.Max())], p);
    }).ToArray();

    /// <summary>The model's predictions as (name of PredictedLabel, Score) per row.</summary>
    private static (string Label, float[] Scores)[] Predict(MLContext mlContext, ITransformer model)
    {
        var output = model.Transform(mlContext.Data.LoadFromEnumerable(Rows.Select(r => new Row { Features = r })));
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        output.Schema["PredictedLabel"].GetKeyValues(ref names);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), Classes.Length), output.Schema["PredictedLabel"].Type);
        CollectionAssert.AreEqual(Classes, names.DenseValues().Select(n => n.ToString()).ToArray(), "the label's KeyValues are the class names");
        var labels = output.GetColumn<uint>("PredictedLabel").Select(key => Classes[key - 1]);
        var scores = output.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray());
        return labels.Zip(scores).ToArray();
    }

    private static void AssertSame((string Label, float[] Scores)[] expected, (string Label, float[] Scores)[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.AreEqual(expected[r].Label, actual[r].Label, $"{what}: row {r}'s PredictedLabel");
            Assert.HasCount(Classes.Length, actual[r].Scores, $"{what}: row {r}'s scores");
            for (int c = 0; c < Classes.Length; c++)
                Assert.AreEqual(expected[r].Scores[c], actual[r].Scores[c], 1e-5, $"{what}: row {r}, score {c}");
        }
    }

    [TestMethod, TestCategory("Process")]
    public void OnnxOnlyZip_WithNamedPredictedLabel_ScoresAlikeHereAndInAFreshMLNet5Process_BothWays()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows.Select(r => new Row { Features = r }));
        var graph = new OnnxGraph();
        var logits = graph.Add(graph.Node("MatMul", [graph.Input("Features", 1, 3), graph.Floats(Weights, 3, Classes.Length)]), graph.Floats(Bias, Classes.Length));
        graph.Node("Softmax", [logits], "Score", ("axis", -1L));
        graph.Output("Score", 1, Classes.Length);
        string onnxPath = folder.File("classifier.onnx");
        graph.Save(onnxPath, "tiny_classifier");

        // The deployment's own chain (built against ML.NET 5.0.1, run on this host's): the graph writes the probabilities as
        // Score; the scorer rewrites Score (exactly) and adds PredictedLabel.
        string zip = folder.File("onnx-only.zip");
        using (var model = (TransformerChain<ITransformer>)VideoClassifierOnnxDeployment.CreateScorer(mlContext, onnxPath, data.Schema, "Features", [1, 3], "Score", "PredictedLabel", Classes))
        {
            Assert.IsTrue(model.All(t => t.GetType().Assembly.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal)),
                "only ML.NET's own transformers: " + string.Join(", ", model.Select(t => t.GetType().FullName)));
            var expected = Expected();
            Assert.IsGreaterThan(1, expected.Select(e => e.Label).Distinct().Count(), "the rows fall in different classes, so the labels are compared");
            AssertSame(expected, Predict(mlContext, model), "the scorer before saving");
            mlContext.Model.Save(model, data.Schema, zip);
        }

        string hostVersion = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var here = new MLContext(seed: 2);
        var loaded = here.Model.Load(zip, out _);
        var scored = Predict(here, loaded);
        AssertSame(Expected(), scored, $"the zip saved and loaded by ML.NET {hostVersion}");
        (loaded as IDisposable)?.Dispose();

        // A fresh process on ML.NET 5.0.1 loads and scores the zip, then saves it again under 5.0.1 ...
        string resaved = folder.File("onnx-only-resaved.zip");
        var lines = ModelZipPersistenceTests.RunConsumer(["--classify", zip, "Features", resaved, .. Rows.Select(ModelZipPersistenceTests.RowText)])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.HasCount(1 + Rows.Length, lines, string.Join("\n", lines));
        StringAssert.StartsWith(lines[0], "mlnet 5.0.1", "the consumer runs on ML.NET 5.0.1");
        var consumer = lines.Skip(1).Select(l => l.Split('\t'))
            .Select(p => (p[0], p[1].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray())).ToArray();
        AssertSame(scored, consumer, $"the zip saved by ML.NET {hostVersion}, scored by ML.NET 5.0.1 in a fresh process");
        Console.WriteLine($"saved by ML.NET {hostVersion}, scored in a fresh process by {lines[0]}: " + string.Join(" | ", consumer.Select(c => $"{c.Item1} [{ModelZipPersistenceTests.RowText(c.Item2)}]")));

        // ... which this host's ML.NET loads and scores the same.
        var again = new MLContext(seed: 3);
        var reloaded = again.Model.Load(resaved, out _);
        AssertSame(scored, Predict(again, reloaded), $"the zip saved again by ML.NET 5.0.1, loaded by ML.NET {hostVersion}");
        (reloaded as IDisposable)?.Dispose();
    }
}
