using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Tests.Trainers.MoViNet;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>The trained classifiers' ONNX scoring: the exported scoring graph through plain ML.NET ApplyOnnxModel, the
/// libtorch-free zip, and the ScoringBackend option of the transformer.</summary>
[TestClass]
[DoNotParallelize]
public sealed class OnnxScoringTests
{
    internal const int Frames = 8, Size = 32, Classes = 4;

    internal static VideoClassifierInfo Info(int views, ClipLayout networkLayout) => new()
    {
        ClipColumnName = "Frames",
        ScoreColumnName = "Score",
        PredictedLabelColumnName = "PredictedLabel",
        Clip = new ClipGeometry(views, 3, Frames, Size, Size, ClipLayout.Cthw),
        NetworkLayout = networkLayout,
        NumClasses = Classes,
        Device = "cpu",
    };

    /// <summary>A tiny S3D-G classifier with random weights and statistics, reading Cthw clips of <paramref name="views"/> views.</summary>
    internal static VideoClassifierTransformer<S3DSpec> TinyS3D(MLContext mlContext, int views = 1)
    {
        torch.manual_seed(21);
        var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3DG, Classes, 0.125));
        OnnxParity.Randomise(network, 21);
        return new VideoClassifierTransformer<S3DSpec>(mlContext, S3DBackbone.Instance, network.Spec, network, Info(views, ClipLayout.Cthw), new Dictionary<string, object?>(), CPU);
    }

    /// <summary>A tiny TSM with clustering: its network reads Tchw while the column is Cthw, so the graph transposes.</summary>
    internal static VideoClassifierTransformer<TsmSpec> TinyTsm(MLContext mlContext)
    {
        torch.manual_seed(22);
        var spec = new TsmSpec { Depth = TsmDepth.ResNet18, NumClasses = Classes, WidthMultiplier = 0.25, Clustering = TsmClustering.Cumulative, ClusterCount = 3 };
        var network = new TsmNetwork(spec);
        OnnxParity.Randomise(network, 22);
        return new VideoClassifierTransformer<TsmSpec>(mlContext, TsmBackbone.Instance, spec, network, Info(1, ClipLayout.Tchw), new Dictionary<string, object?>(), CPU);
    }

    private static float[][] Scores(IDataView view, string column = "Score")
        => view.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    private static void AssertSameScores(float[][] expected, float[][] actual, string what, double tolerance = 1e-5)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        double worst = 0;
        for (int r = 0; r < expected.Length; r++)
        {
            Assert.AreEqual(expected[r].Length, actual[r].Length, $"{what}: row {r} length");
            for (int i = 0; i < expected[r].Length; i++)
                worst = Math.Max(worst, Math.Abs(expected[r][i] - actual[r][i]));
        }
        Assert.IsTrue(worst <= tolerance, $"{what}: max |ONNX − TorchSharp| probability {worst:E2}");
        Assert.IsTrue(expected.Any(r => r.Max() - r.Min() > 1e-3), $"{what}: the probabilities are nearly uniform; the comparison would mean little");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void ScoringGraph_ThroughPlainApplyOnnxModel_MatchesTorchSharpScores(int views)
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(3, seed: 2, frames: Frames, size: Size, views: views), Frames, Size, views);
        using var model = TinyS3D(mlContext, views);
        model.ScoringBackend = ScoringBackend.TorchSharp;
        var expected = Scores(model.Transform(data));

        using var folder = new TempFolder();
        string onnx = folder.File("s3d-scoring.onnx");
        VideoClassifierOnnx.ExportScoringGraph(model, onnx);
        var shape = new Dictionary<string, int[]> { ["Frames"] = views == 1 ? [1, 1, 3, Frames, Size, Size] : [1, views, 3, Frames, Size, Size] };
        var onnxModel = mlContext.Transforms.ApplyOnnxModel(["Score"], ["Frames"], onnx, shape, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100).Fit(data);
        AssertSameScores(expected, Scores(onnxModel.Transform(data)), $"S3D-G, {views} view(s)");
        (onnxModel as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void NetworkGraph_OfTrainedModel_GivesItsNetworksLogits_InTheNetworksLayout()
    {
        var mlContext = new MLContext(seed: 1);
        using var model = TinyTsm(mlContext);
        using var folder = new TempFolder();
        string onnx = folder.File("tsm-network.onnx");
        VideoClassifierOnnx.ExportNetworkGraph(model, onnx);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The network alone reads its own layout (TSM: Tchw), not the clip column's Cthw, and writes logits, not probabilities.
        var clips = rand([2, Frames, 3, Size, Size]);
        var logits = OnnxParity.Logits(onnx, clips);
        CollectionAssert.AreEqual(new long[] { 2, Classes }, logits.Shape);
        OnnxParity.AssertClose(model.Network.call(clips), logits, "TSM network graph of a trained model");
    }

    [TestMethod]
    public void NetworkGraph_OfNullModel_IsRefusedByName()
    {
        var e = Assert.ThrowsExactly<ArgumentNullException>(() => VideoClassifierOnnx.ExportNetworkGraph<S3DSpec>(null!, "unused.onnx"));
        Assert.AreEqual("transformer", e.ParamName);
        using var model = TinyS3D(new MLContext(seed: 1));
        Assert.ThrowsExactly<ArgumentException>(() => VideoClassifierOnnx.ExportNetworkGraph(model, " "));
    }

    [TestMethod]
    public void ClusteredTsm_SavedWithoutLibTorch_LoadsAsPlainOnnxTransformer_AndMatchesTorchSharp()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(3, seed: 3, frames: Frames, size: Size), Frames, Size);
        using var model = TinyTsm(mlContext);
        model.ScoringBackend = ScoringBackend.TorchSharp;
        var expected = Scores(model.Transform(data));

        using var folder = new TempFolder();
        string zip = folder.File("tsm-onnx.zip");
        VideoClassifierOnnxDeployment.SaveWithoutLibTorch(mlContext, model, data.Schema, zip);
        var loaded = mlContext.Model.Load(zip, out _);
        // The zip holds ML.NET's own ONNX transformer: nothing of MLNetVideo (or TorchSharp) is needed to score it.
        var chain = loaded as TransformerChain<ITransformer>;
        var transformers = chain is null ? [loaded] : chain.ToArray();
        Assert.IsTrue(transformers.All(t => t.GetType().Assembly.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal)),
            string.Join(", ", transformers.Select(t => t.GetType().FullName)));
        var scored = loaded.Transform(data);
        AssertSameScores(expected, Scores(scored), "TSM with clustering from the libtorch-free zip");
        // The label had no names: the same keys, without KeyValues, as the TorchSharp route.
        var torchScored = model.Transform(data);
        Assert.AreEqual(torchScored.Schema["PredictedLabel"].Type, scored.Schema["PredictedLabel"].Type);
        Assert.IsNull(scored.Schema["PredictedLabel"].Annotations.Schema.GetColumnOrNull("KeyValues"));
        Assert.IsNull(torchScored.Schema["PredictedLabel"].Annotations.Schema.GetColumnOrNull("KeyValues"));
        CollectionAssert.AreEqual(torchScored.GetColumn<uint>("PredictedLabel").ToArray(), scored.GetColumn<uint>("PredictedLabel").ToArray());
        (loaded as IDisposable)?.Dispose();
    }

    /// <summary>What a user's PredictionEngine reads from a classifier.</summary>
    private sealed class Prediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    [TestMethod]
    public void SavedWithoutLibTorch_PredictionEngineInAFreshContext_GivesTorchSharpScoreAndNamedPredictedLabel()
    {
        var setup = new MLContext(seed: 1);
        var rows = SyntheticClips.Motion(6, seed: 7, frames: Frames, size: Size, noise: 0.5f);
        var data = SyntheticClips.Load(setup, rows, Frames, Size);
        string[] names = ["walk", "run", "jump", "sit"];
        torch.manual_seed(25);
        // A calibrated tiny MoViNet: its logits depend on the input, so the rows fall in different classes.
        var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Base, Classes);
        using var model = new VideoClassifierTransformer<MoViNetSpec>(setup, MoViNetBackbone.Instance, network.Spec, network, Info(1, ClipLayout.Cthw) with { ClassNames = names },
            new Dictionary<string, object?>(), CPU) { ScoringBackend = ScoringBackend.TorchSharp };
        using var torchEngine = setup.Model.CreatePredictionEngine<ClipRow, Prediction>(model, inputSchemaDefinition: SyntheticClips.Definition(Frames, Size));
        var expected = rows.Select(r => torchEngine.Predict(r)).Select(p => (Score: p.Score.ToArray(), p.PredictedLabel)).ToArray();
        Assert.IsTrue(expected.Select(e => e.PredictedLabel).Distinct().Count() > 1, "the rows are predicted as different classes, so the labels are compared: " + string.Join(" | ", expected.Select(e => string.Join(",", e.Score.Select(v => v.ToString("F3"))))));

        using var folder = new TempFolder();
        string zip = folder.File("movinet-onnx.zip");
        VideoClassifierOnnxDeployment.SaveWithoutLibTorch(setup, model, data.Schema, zip);

        var user = new MLContext(seed: 9);
        var loaded = user.Model.Load(zip, out var inputSchema);
        var chain = loaded as TransformerChain<ITransformer>;
        Assert.IsNotNull(chain);
        Assert.IsTrue(chain.All(t => t.GetType().Assembly.GetName().Name!.StartsWith("Microsoft.ML", StringComparison.Ordinal)),
            "only ML.NET's own transformers: " + string.Join(", ", chain.Select(t => t.GetType().FullName)));
        var schema = loaded.GetOutputSchema(inputSchema);
        Assert.AreEqual(new KeyDataViewType(typeof(uint), Classes), schema["PredictedLabel"].Type, "a key over the classes, as the TorchSharp route");
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        schema["PredictedLabel"].GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(names, keyValues.DenseValues().Select(v => v.ToString()).ToArray(), "the key's values are the saved class names");

        using var engine = user.Model.CreatePredictionEngine<ClipRow, Prediction>(loaded, inputSchemaDefinition: SyntheticClips.Definition(Frames, Size));
        var actual = rows.Select(r => engine.Predict(r)).Select(p => (Score: p.Score.ToArray(), p.PredictedLabel)).ToArray();
        // The calibrated MoViNet's logits are larger than the random networks': its probabilities differ by up to ~1e-5.
        AssertSameScores(expected.Select(e => e.Score).ToArray(), actual.Select(a => a.Score).ToArray(), "PredictionEngine over the libtorch-free zip", 1e-4);
        CollectionAssert.AreEqual(expected.Select(e => e.PredictedLabel).ToArray(), actual.Select(a => a.PredictedLabel).ToArray());
        var scored = loaded.Transform(user.Data.LoadFromEnumerable(rows, SyntheticClips.Definition(Frames, Size)));
        // ML.NET's scorer passes the graph's probabilities through exactly (identity weights, zero biases).
        var graphOnly = chain.First().Transform(user.Data.LoadFromEnumerable(rows, SyntheticClips.Definition(Frames, Size)));
        CollectionAssert.AreEqual(Scores(graphOnly).SelectMany(r => r).ToArray(), Scores(scored).SelectMany(r => r).ToArray());
        var withNames = user.Transforms.Conversion.MapKeyToValue("Name", "PredictedLabel").Fit(scored).Transform(scored);
        CollectionAssert.AreEqual(expected.Select(e => names[e.PredictedLabel - 1]).ToArray(), withNames.GetColumn<string>("Name").ToArray(), "MapKeyToValue restores the names");
        (loaded as IDisposable)?.Dispose();
    }

    [TestMethod]
    public void ScoringBackend_AutoOnCpu_IsOnnxRuntime_AndScoresAsTorchSharp()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(4, seed: 4, frames: Frames, size: Size), Frames, Size);
        using var model = TinyS3D(mlContext);
        Assert.AreEqual(ScoringBackend.Auto, model.ScoringBackend, "Auto is the default");
        Assert.AreEqual(ScoringBackend.OnnxRuntime, model.ActiveScoringBackend, "the ONNX package is deployed with the tests, so Auto picks ONNX Runtime on the CPU");
        Assert.IsNull(model.ScoringBackendReason);
        var onnx = Scores(model.Transform(data));
        var onnxLabels = model.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        model.ScoringBackend = ScoringBackend.TorchSharp;
        Assert.AreEqual(ScoringBackend.TorchSharp, model.ActiveScoringBackend);
        var torch = Scores(model.Transform(data));
        AssertSameScores(torch, onnx, "Auto (ONNX Runtime) vs TorchSharp");
        CollectionAssert.AreEqual(model.Transform(data).GetColumn<uint>("PredictedLabel").ToArray(), onnxLabels);
    }

    [TestMethod]
    public void AFreshModel_OpensAndWarmsUpItsOnnxSession_InTheBackground_WhenItsFirstCursorOpens()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 7, frames: Frames, size: Size), Frames, Size);
        using var model = TinyS3D(mlContext);
        var scored = model.Transform(data);
        Assert.IsNull(model.ScoringPreparation, "nothing is prepared before a cursor opens");
        Assert.AreEqual(0, model.OnnxRuns);
        var column = scored.Schema["Score"];
        using (var cursor = scored.GetRowCursor([column]))
        {
            Assert.IsNotNull(model.ScoringPreparation, "opening the cursor starts the preparation");
            Assert.IsTrue(model.ScoringPreparation.Wait(TimeSpan.FromSeconds(60)), "the preparation ends");
            Assert.AreEqual(1, model.OnnxRuns, "the session ran once on a blank row before any row was read");
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var value = default(VBuffer<float>);
            Assert.IsTrue(cursor.MoveNext());
            getter(ref value);
            Assert.AreEqual(2, model.OnnxRuns, "the first row is the session's second run");
        }
        // The warm-up leaves the scores as they are, and a row handed to the ONNX route is only read.
        var onnx = Scores(scored);
        var row = data.GetColumn<VBuffer<float>>("Frames").First().DenseValues().ToArray();
        var copy = (float[])row.Clone();
        var single = model.PredictProbabilities([row])[0];
        CollectionAssert.AreEqual(copy, row, "the caller's row is unchanged");
        model.ScoringBackend = ScoringBackend.TorchSharp;
        AssertSameScores(Scores(model.Transform(data)), onnx, "ONNX Runtime after its warm-up vs TorchSharp");
        AssertSameScores([onnx[0]], [single], "one row through PredictProbabilities vs the cursor");
    }

    [TestMethod]
    public void ScoringBackend_AutoOnCpu_MoViNetTemporalEnsemble_IsOnnxRuntime_AndScoresAsTorchSharp()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(3, seed: 6, frames: Frames, size: Size), Frames, Size);
        torch.manual_seed(24);
        var spec = MoViNetTestNetworks.TinySpec(MoViNetMode.Stream, Classes) with { TemporalEnsemble = true };
        var network = (MoViNetEnsembleNetwork)MoViNetBackbone.Instance.CreateNetwork(spec);
        MoViNetTestNetworks.Calibrate(network);
        using var model = new VideoClassifierTransformer<MoViNetSpec>(mlContext, MoViNetBackbone.Instance, spec, network, Info(1, ClipLayout.Cthw), new Dictionary<string, object?>(), CPU);
        Assert.IsTrue(VideoClassifierOnnx.CanExport(model));
        Assert.AreEqual(ScoringBackend.OnnxRuntime, model.ActiveScoringBackend, model.ScoringBackendReason);
        var onnx = Scores(model.Transform(data));
        model.ScoringBackend = ScoringBackend.TorchSharp;
        AssertSameScores(Scores(model.Transform(data)), onnx, "MoViNet temporal ensemble, Auto (ONNX Runtime) vs TorchSharp");
    }

    [TestMethod]
    public void ScoringBackend_Auto_FallsBackToTorchSharp_WithoutOnnxRuntime_OrWhenTheSessionFails()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 5, frames: Frames, size: Size), Frames, Size);
        using var model = TinyS3D(mlContext);
        model.ScoringBackend = ScoringBackend.TorchSharp;
        var expected = Scores(model.Transform(data));
        model.ScoringBackend = ScoringBackend.Auto;
        Assert.AreEqual(ScoringBackend.OnnxRuntime, model.ActiveScoringBackend, "the tests deploy the ONNX package: its provider registers itself");
        var deployed = OnnxScoringRuntime.SessionFactory;
        Assert.IsNotNull(deployed);
        try
        {
            // As in an application that does not deploy MLNetVideo.Featurizers.Onnx: Auto scores with TorchSharp, no error.
            OnnxScoringRuntime.SessionFactory = null;
            model.ScoringBackend = ScoringBackend.Auto;
            Assert.AreEqual(ScoringBackend.TorchSharp, model.ActiveScoringBackend);
            StringAssert.Contains(model.ScoringBackendReason, "no ONNX Runtime session provider");
            CollectionAssert.AreEqual(expected.SelectMany(r => r).ToArray(), Scores(model.Transform(data)).SelectMany(r => r).ToArray(),
                "Auto without ONNX Runtime gives TorchSharp's scores exactly");
            model.ScoringBackend = ScoringBackend.OnnxRuntime;
            StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => model.ActiveScoringBackend).Message, "no ONNX Runtime session provider");

            // A session that cannot be opened: Auto falls back and says why; OnnxRuntime reports the failure.
            OnnxScoringRuntime.SessionFactory = (_, _, _, _) => throw new InvalidOperationException("test session refused");
            model.ScoringBackend = ScoringBackend.Auto;
            Assert.AreEqual(ScoringBackend.TorchSharp, model.ActiveScoringBackend);
            StringAssert.Contains(model.ScoringBackendReason, "test session refused");
            Assert.AreEqual(expected.Length, Scores(model.Transform(data)).Length);
            model.ScoringBackend = ScoringBackend.OnnxRuntime;
            StringAssert.Contains(Assert.ThrowsExactly<InvalidOperationException>(() => model.ActiveScoringBackend).Message, "test session refused");
        }
        finally
        {
            OnnxScoringRuntime.SessionFactory = deployed;
        }
        model.ScoringBackend = ScoringBackend.Auto;
        Assert.AreEqual(ScoringBackend.OnnxRuntime, model.ActiveScoringBackend, "back to ONNX Runtime once a provider is present");
    }

    [TestMethod]
    public void ScoringBackend_ExtraColumns_AutoStaysOnTorchSharp_AndOnnxRuntimeSaysWhy()
    {
        var mlContext = new MLContext(seed: 1);
        torch.manual_seed(23);
        var spec = new AFNetSpec { Depth = AFNetDepth.ResNet18, NumClasses = Classes, Frames = Frames, WidthMultiplier = 0.25 };
        using var model = new VideoClassifierTransformer<AFNetSpec>(mlContext, AFNetBackbone.Instance, spec, new AFNetNetwork(spec), Info(1, ClipLayout.Tchw), new Dictionary<string, object?>(), CPU);
        model.ScoringBackend = ScoringBackend.Auto;
        Assert.AreEqual(ScoringBackend.TorchSharp, model.ActiveScoringBackend, "AFNet's selected-frame ratio column is computed by TorchSharp");
        StringAssert.Contains(model.ScoringBackendReason, "SelectedFrameRatio");
        model.ScoringBackend = ScoringBackend.OnnxRuntime;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => model.ActiveScoringBackend);
        StringAssert.Contains(error.Message, "SelectedFrameRatio");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ScoringBackend = (ScoringBackend)7);
    }
}
