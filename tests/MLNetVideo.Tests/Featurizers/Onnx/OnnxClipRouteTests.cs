using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Transforms.Decoding;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Featurizers.Onnx;

/// <summary>The ONNX route end to end: our TorchSharp CLIP exported by ClipOnnxExporter, run by ONNX Runtime through
/// FeaturizeVideoWithOnnxClip, gives the TorchSharp featurizer's column; it feeds EVL and round-trips through a zip.</summary>
[TestClass]
[DoNotParallelize]
public sealed class OnnxClipRouteTests
{
    private static ClipFeaturizingEstimator.Options TorchOptions(int seed = 4) => new()
    {
        InputLayout = ClipFrameLayout.Cthw,
        Variant = ClipVisionVariant.Tiny,
        LayersKept = 2,
        Device = "cpu",
        Seed = seed,
    };

    private static OnnxClipFeaturizingEstimator.Options OnnxOptions(string model) => new()
    {
        ModelPath = model,
        InputLayout = ClipFrameLayout.Cthw,
        LayersKept = 2,
        IntraOpThreads = 1,
    };

    private static float[][] Read(IDataView view, string column = "ClipFeatures")
        => view.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    /// <summary>Exports the random-init tiny tower of <see cref="TorchOptions"/> (seed) through the public entry point (the
    /// fitted featurizer) and returns the TorchSharp featurizer.</summary>
    private static ClipFeaturizingTransformer ExportTiny(MLContext mlContext, IDataView data, string onnxPath, int seed = 4)
    {
        var torchModel = mlContext.Transforms.FeaturizeVideoWithClip(TorchOptions(seed)).Fit(data);
        ClipOnnxExporter.Export(torchModel, onnxPath);
        return torchModel;
    }

    [TestMethod]
    public void Export_OfNullOrDisposedFeaturizer_IsRefusedByName()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 1, frames: 4, size: 40), frames: 4, size: 40);
        Assert.AreEqual("featurizer", Assert.ThrowsExactly<ArgumentNullException>(() => ClipOnnxExporter.Export(null!, folder.File("a.onnx"))).ParamName);
        var torchModel = mlContext.Transforms.FeaturizeVideoWithClip(TorchOptions(4)).Fit(data);
        Assert.ThrowsExactly<ArgumentException>(() => ClipOnnxExporter.Export(torchModel, " "));
        torchModel.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => ClipOnnxExporter.Export(torchModel, folder.File("b.onnx")));
        Assert.IsFalse(File.Exists(folder.File("b.onnx")), "nothing is written for a disposed featurizer");
    }

    [TestMethod]
    public void ExportedTinyClip_OnnxRouteColumn_EqualsTorchSharpColumn()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(3, seed: 1, frames: 4, size: 40), frames: 4, size: 40);
        string onnx = folder.File("tiny.onnx");
        using var torchModel = ExportTiny(mlContext, data, onnx);

        var info = OnnxClipFeaturizer.Inspect(onnx);
        CollectionAssert.AreEqual(new[] { -1, 3, 32, 32 }, info.Inputs[ClipOnnxExporter.InputName]);
        Assert.AreEqual(3 * 3 + 1, info.Outputs.Count);
        CollectionAssert.AreEqual(new[] { -1, 17, 64 }, info.Outputs["block2_q"]);

        using var onnxModel = mlContext.Transforms.FeaturizeVideoWithOnnxClip(OnnxOptions(onnx)).Fit(data);
        Assert.AreEqual(ClipVisionVariant.Tiny, onnxModel.Spec.Variant, "variant read from the graph's metadata");
        var torchOut = torchModel.Transform(data);
        var onnxOut = onnxModel.Transform(data);
        Assert.AreEqual(torchOut.Schema["ClipFeatures"].Type, onnxOut.Schema["ClipFeatures"].Type);
        var expected = Read(torchOut);
        var actual = Read(onnxOut);
        Assert.AreEqual(3, actual.Length);
        double worst = 0;
        for (int r = 0; r < expected.Length; r++)
            for (int i = 0; i < expected[r].Length; i++)
                worst = Math.Max(worst, Math.Abs(expected[r][i] - actual[r][i]) / (1 + Math.Abs(expected[r][i])));
        Assert.IsTrue(worst <= 1e-4, $"ONNX vs TorchSharp max relative difference {worst:E2}");
        Assert.IsTrue(expected[0].Any(v => Math.Abs(v) > 0.1f), "features are not trivially zero");

        // The embedding output agrees with the tower's forward too.
        using var session = new InferenceSession(onnx);
        using var scope = NewDisposeScope();
        torch.manual_seed(3);
        var images = randn(2, 3, 32, 32);
        var input = new DenseTensor<float>(images.data<float>().ToArray(), [2, 3, 32, 32]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(ClipOnnxExporter.InputName, input)], [ClipOnnxExporter.EmbeddingOutputName]);
        var onnxEmbeds = tensor(results.Single().AsTensor<float>().ToArray(), [2, 32]);
        using (no_grad())
        {
            var torchEmbeds = torchModel.Network.call(images);
            Assert.IsTrue(onnxEmbeds.allclose(torchEmbeds, rtol: 1e-4, atol: 1e-4), $"embedding max diff {(onnxEmbeds - torchEmbeds).abs().max().item<float>()}");
        }
    }

    [TestMethod]
    public void GraphNotMatchingTheContract_FailsNamingWhatIsMissingAndWrong()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 1, frames: 2, size: 32), frames: 2, size: 32);
        string onnx = folder.File("tiny.onnx");
        ExportTiny(mlContext, data, onnx).Dispose();

        var options = OnnxOptions(onnx);
        options.Variant = ClipVisionVariant.VitB32;   // 12 blocks of 50 tokens × 768: the tiny graph has 3 blocks of 17 × 64
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Transforms.FeaturizeVideoWithOnnxClip(options).Fit(data));
        StringAssert.Contains(e.Message, "'block10_out'");
        StringAssert.Contains(e.Message, "'block11_k'");
        StringAssert.Contains(e.Message, "input 'images'");
        StringAssert.Contains(e.Message, "[N, 3, 224, 224]");

        options = OnnxOptions(onnx);
        options.LayersKept = 4;
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.FeaturizeVideoWithOnnxClip(options).Fit(data));
        options = OnnxOptions(folder.File("absent.onnx"));
        Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Transforms.FeaturizeVideoWithOnnxClip(options));
    }

    [TestMethod]
    public void SqueezeNetGraph_IsRefused_NamingTheMissingOutputs()
    {
        string? model = new[] { "../shared/data/onnx/light_squeezenet.onnx", "/work/shared/data/onnx/light_squeezenet.onnx" }
            .Select(Path.GetFullPath).FirstOrDefault(File.Exists);
        if (model is null)
            Assert.Inconclusive("../shared/data/onnx/light_squeezenet.onnx is absent (MANIFEST.md).");
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 1, frames: 2, size: 32), frames: 2, size: 32);
        var options = OnnxOptions(model!);
        options.Variant = ClipVisionVariant.VitB16;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => mlContext.Transforms.FeaturizeVideoWithOnnxClip(options).Fit(data));
        StringAssert.Contains(e.Message, "'block10_out'");
        StringAssert.Contains(e.Message, "it exposes");
    }

    [TestMethod]
    public void OnnxFeaturizerPlusEvl_Trains_RoundTripsThroughZip_RefusesDifferentGraph_AndCaches()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(seed: 5);
        var train = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(16, seed: 1, frames: 4), frames: 4);
        string onnx = folder.File("tiny.onnx");
        ExportTiny(mlContext, train, onnx).Dispose();

        var featurizerOptions = OnnxOptions(onnx);
        featurizerOptions.CacheFolder = folder.File("cache");
        var epochs = new List<EpochMetrics>();
        var pipeline = mlContext.Transforms.FeaturizeVideoWithOnnxClip(featurizerOptions)
            .Append(mlContext.MulticlassClassification.Trainers.Evl(new EvlTrainer.Options
            {
                BackboneHeads = ClipVisionSpecs.Tiny.Heads, Epochs = 2, BatchSize = 4, LearningRate = 2e-3, Device = "cpu", Seed = 7,
                DropoutRate = 0, MlpDropout = 0, MetricsCallback = epochs.Add,
            }));
        var model = pipeline.Fit(train);
        Assert.AreEqual(2, epochs.Count);
        Assert.IsTrue(epochs.All(m => double.IsFinite(m.TrainLoss)));
        var onnxStage = (OnnxClipFeaturizingTransformer)model.First();
        long forwards = onnxStage.EncoderForwards;
        Assert.IsTrue(forwards > 0);
        var scores = Read(model.Transform(train), "Score");
        Assert.AreEqual(forwards, onnxStage.EncoderForwards, "the second pass must read every clip from the cache");
        Assert.IsTrue(onnxStage.CacheHits >= 16);

        string zip = folder.File("evl-onnx.zip");
        string embeddedZip = folder.File("evl-onnx-embedded.zip");
        mlContext.Model.Save(model, train.Schema, zip);
        foreach (var t in model) (t as IDisposable)?.Dispose();
        featurizerOptions.EmbedModel = true;
        featurizerOptions.CacheFolder = null;
        var embeddedModel = mlContext.Transforms.FeaturizeVideoWithOnnxClip(featurizerOptions).Fit(train);
        mlContext.Model.Save(embeddedModel, train.Schema, embeddedZip);
        var embeddedFeatures = Read(embeddedModel.Transform(train));
        embeddedModel.Dispose();
        Assert.IsTrue(ZipEditing.EntryNames(embeddedZip).Any(n => n.EndsWith("Model.onnx", StringComparison.Ordinal)));
        Assert.IsFalse(ZipEditing.EntryNames(zip).Any(n => n.EndsWith("Model.onnx", StringComparison.Ordinal)));

        var load = new VideoModelLoadOptions { WeightsFolder = folder.Path };   // the graph is found by name where the application says
        var loaded = (TransformerChain<ITransformer>)new MLContext(seed: 9).Model.Load(zip, load, out _);
        Assert.IsInstanceOfType<OnnxClipFeaturizingTransformer>(loaded.First());
        Assert.IsInstanceOfType<VideoClassifierTransformer<EvlSpec>>(loaded.Last());
        var again = Read(loaded.Transform(train), "Score");
        for (int i = 0; i < scores.Length; i++)
            CollectionAssert.AreEqual(scores[i], again[i], $"row {i}");
        foreach (var t in loaded) (t as IDisposable)?.Dispose();

        // A different graph at the recorded path is refused; the embedded zip needs no file.
        ExportTiny(mlContext, train, onnx, seed: 5).Dispose();
        var e = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.Model.Load(zip, load, out _));
        StringAssert.Contains(e.Message, "SHA-256");
        StringAssert.Contains(e.Message, onnx);
        File.Delete(onnx);
        Assert.ThrowsExactly<FileNotFoundException>(() => mlContext.Model.Load(zip, load, out _));
        using var fromZip = (OnnxClipFeaturizingTransformer)mlContext.Model.Load(embeddedZip, out _);
        var fromZipFeatures = Read(fromZip.Transform(train));
        for (int i = 0; i < embeddedFeatures.Length; i++)
            CollectionAssert.AreEqual(embeddedFeatures[i], fromZipFeatures[i]);
    }

    [TestMethod]
    public void TorchSharpFeaturizer_AutoOnCpu_RunsTheTowerOnOnnxRuntime_AndFallsBackWithoutIt()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 3, frames: 4, size: 40), frames: 4, size: 40);
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(TorchOptions()).Fit(data);
        Assert.AreEqual(ClipTowerBackend.Auto, model.Backend, "Auto is the default");
        Assert.AreEqual(ClipTowerBackend.OnnxRuntime, model.ActiveBackend, "the tests deploy MLNetVideo.Featurizers.Onnx");
        Assert.IsNull(model.BackendReason);
        var onnx = Read(model.Transform(data));
        model.Backend = ClipTowerBackend.TorchSharp;
        Assert.AreEqual(ClipTowerBackend.TorchSharp, model.ActiveBackend);
        var torchSharp = Read(model.Transform(data));
        double worst = 0;
        for (int r = 0; r < onnx.Length; r++)
        {
            Assert.AreEqual(torchSharp[r].Length, onnx[r].Length);
            for (int i = 0; i < onnx[r].Length; i++)
                worst = Math.Max(worst, Math.Abs(onnx[r][i] - torchSharp[r][i]));
        }
        Assert.IsTrue(worst <= 1e-4, $"max |ONNX − TorchSharp| = {worst:E2}");
        Assert.IsTrue(torchSharp[0].Max() - torchSharp[0].Min() > 0.1, "the features are not constant");

        var deployed = ClipTowerRuntime.Factory;
        Assert.IsNotNull(deployed);
        try
        {
            // Without the ONNX package: Auto runs TorchSharp, exactly, and says why; OnnxRuntime is an error.
            ClipTowerRuntime.Factory = null;
            model.Backend = ClipTowerBackend.Auto;
            Assert.AreEqual(ClipTowerBackend.TorchSharp, model.ActiveBackend);
            StringAssert.Contains(model.BackendReason, "no ONNX Runtime session provider");
            CollectionAssert.AreEqual(torchSharp[1], Read(model.Transform(data))[1]);
            model.Backend = ClipTowerBackend.OnnxRuntime;
            StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => model.ActiveBackend).Message, "no ONNX Runtime session provider");
        }
        finally
        {
            ClipTowerRuntime.Factory = deployed;
        }
        model.Backend = ClipTowerBackend.OnnxRuntime;
        Assert.AreEqual(ClipTowerBackend.OnnxRuntime, model.ActiveBackend);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Backend = (ClipTowerBackend)9);
    }

    [TestMethod]
    public void TorchSharpFeaturizer_CreatesItsOnnxSessionInTheBackground_BeforeAnyRow_AndDisposeWaitsForIt()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 4, frames: 4, size: 40), frames: 4, size: 40);
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(TorchOptions()).Fit(data))
        {
            // No row is read: the export and the session start when the transformer is made, so they overlap decoding.
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (!model.OnnxTowerResolved && clock.Elapsed < TimeSpan.FromSeconds(60))
                Thread.Sleep(10);
            Assert.IsTrue(model.OnnxTowerResolved, "the session was not created in the background");
            Assert.AreEqual(0L, model.EncoderForwards);
            Assert.AreEqual(ClipTowerBackend.OnnxRuntime, model.ActiveBackend);
        }

        // Disposed at once, while the session is still being made: Dispose waits for the export (it reads the tower's
        // weights), the session is released, and the transformer is unusable afterwards.
        var early = mlContext.Transforms.FeaturizeVideoWithClip(TorchOptions()).Fit(data);
        early.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => early.ActiveBackend);
    }
}
