using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Onnx;

namespace MLNetVideo.Tests.Featurizers.Onnx;

/// <summary>The ONNX route on the real image-network graphs of ../shared/data/onnx (MANIFEST.md): reference outputs, and a
/// clear error when the graph lacks the outputs the CLIP contract needs.</summary>
[TestClass]
[DoNotParallelize]
public sealed class OnnxClipFeaturizerTests
{
    private static string OnnxFolder()
    {
        foreach (var candidate in new[] { "../shared/data/onnx", "/work/shared/data/onnx" })
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            for (; dir is not null; dir = dir.Parent)
            {
                string path = Path.GetFullPath(Path.Combine(dir.FullName, candidate));
                if (Directory.Exists(path)) return path;
            }
        }
        Assert.Inconclusive("../shared/data/onnx is absent (MANIFEST.md); the ONNX parity tests need light_resnet50.onnx and light_squeezenet.onnx.");
        return "";
    }

    private sealed class Row
    {
        public float[] Input { get; set; } = [];
    }

    [TestMethod]
    [DataRow("light_resnet50")]
    [DataRow("light_squeezenet")]
    public void ApplyOnnxModel_ReproducesReferenceOutput(string name)
    {
        string folder = OnnxFolder();
        string model = Path.Combine(folder, name + ".onnx");
        var info = OnnxClipFeaturizer.Inspect(model);
        Assert.AreEqual(1, info.Inputs.Count);
        var (inputName, declared) = info.Inputs.Single();
        int[] shape = declared.Select(d => d <= 0 ? 1 : d).ToArray();
        int n = shape.Aggregate(1, (a, b) => a * b);
        var input = Enumerable.Range(0, n).Select(i => (float)i / n).ToArray();   // arange(n).reshape(shape) / n, float32
        string outputName = info.Outputs.Keys.First();

        var mlContext = new MLContext(seed: 1);
        var definition = SchemaDefinition.Create(typeof(Row));
        var column = definition[nameof(Row.Input)];
        column.ColumnName = inputName;
        column.ColumnType = new VectorDataViewType(NumberDataViewType.Single, shape);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new Row { Input = input } }, definition);
        var estimator = OnnxClipFeaturizer.Create(mlContext.Transforms, model, inputName, [outputName]);
        using var transformer = estimator.Fit(data);
        var actual = transformer.Transform(data).GetColumn<VBuffer<float>>(outputName).Single().DenseValues().ToArray();

        var (dims, expected) = TensorProtoReader.ReadFloat(File.ReadAllBytes(Path.Combine(folder, name + "_output_0.pb")));
        Assert.AreEqual(dims.Aggregate(1L, (a, b) => a * b), expected.Length);
        Assert.AreEqual(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.IsTrue(Math.Abs(actual[i] - expected[i]) <= 1e-7 + 1e-3 * Math.Abs(expected[i]),
                $"{name} output {i}: {actual[i]} vs reference {expected[i]}");
    }

    [TestMethod]
    public void GraphWithoutClipOutputs_FailsNamingTheMissingOutputs()
    {
        string model = Path.Combine(OnnxFolder(), "light_squeezenet.onnx");
        var needed = OnnxClipFeaturizer.EvlOutputNames(totalLayers: 12, layersKept: 2);
        CollectionAssert.AreEqual(new[] { "block10_out", "block11_out", "block10_q", "block11_q", "block10_k", "block11_k" }, needed.ToArray());
        var mlContext = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => OnnxClipFeaturizer.Create(mlContext.Transforms, model, "data_0", needed));
        StringAssert.Contains(e.Message, "'block10_out'");
        StringAssert.Contains(e.Message, "'block11_k'");
        StringAssert.Contains(e.Message, "It exposes:");
    }
}
