using System.IO.Compression;
using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// <see cref="VideoTrainerOptionsBase.InitialWeights"/> and the fine-tuning options through the public trainer API, on a
/// tiny TSM: detected containers and layouts, the head re-initialised for another class count, the import report in the
/// log, clear errors for files that do not fit, frozen stages, partial batch norm and the backbone learning-rate scale.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class InitialWeightsTests
{
    private const int Frames = 4;
    private const int Size = 32;
    private static readonly ClipGeometry Clip = new(1, 3, Frames, Size, Size, ClipLayout.Cthw);

    private static TsmTrainer.Options Options(string? weights, TsmDepth depth = TsmDepth.ResNet18) => new()
    {
        Depth = depth,
        WidthMultiplier = 0.125,
        ClipLayout = ClipLayout.Cthw,
        Epochs = 1,
        BatchSize = 4,
        Optimizer = VideoOptimizer.SgdMomentum,
        Momentum = 0,
        WeightDecay = 0,
        LearningRate = 0.05,
        LearningRateSchedule = LearningRateSchedule.Constant,
        DropoutRate = 0,
        ShufflePoolSize = 0,
        Device = "cpu",
        Seed = 3,
        InitialWeights = weights,
    };

    private static IDataView Data(MLContext mlContext, int rows = 4)
        => SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(rows, seed: 1, frames: Frames, size: Size), Frames, Size);

    /// <summary>A tiny seeded TSM (statistics moved off their defaults) as CPU tensors by our keys.</summary>
    private static Dictionary<string, Tensor> TinyTsmState(int classes, TsmDepth depth = TsmDepth.ResNet18)
    {
        torch.manual_seed(42);
        using var network = new TsmNetwork(new TsmSpec { Depth = depth, NumClasses = classes, WidthMultiplier = 0.125 });
        var state = network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone(), StringComparer.Ordinal);
        foreach (var (key, value) in state)
        {
            if (key.EndsWith("running_var", StringComparison.Ordinal)) value.copy_(rand_like(value) + 0.5);
            else if (key.EndsWith("running_mean", StringComparison.Ordinal)) value.copy_(randn_like(value) * 0.1);
        }
        return state;
    }

    /// <summary>Writes <paramref name="state"/> as the TSM reference releases it: legacy torch.save of {epoch, arch,
    /// state_dict, best_prec1} with DataParallel <c>module.base_model.</c> keys and <c>new_fc</c>.</summary>
    private static string WriteOfficialTsm(string path, Dictionary<string, Tensor> state)
    {
        var entries = state.Select(kv => new KeyValuePair<string, TensorData>(
            "module." + (kv.Key.StartsWith("fc.", StringComparison.Ordinal) ? "new_" + kv.Key : "base_model." + kv.Key), TensorData.FromTensor(kv.Value))).ToList();
        PyTorchCheckpointWriter.Write(path,
            [new("epoch", 50L), new("arch", "resnet18"), new("state_dict", entries), new("best_prec1", 71.2)], PyTorchCheckpointFormat.Legacy);
        return path;
    }

    private static bool Equal(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.to(ScalarType.Float64).eq(b.to(ScalarType.Float64)).all().item<bool>();

    [TestMethod]
    public void OfficialLayout_WithAnotherClassCount_LoadsTheBackbone_AndReinitialisesTheHead()
    {
        using var folder = new TempFolder();
        var state = TinyTsmState(classes: 5);
        string path = WriteOfficialTsm(folder.File("TSM_kinetics_RGB_resnet18.pth"), state);
        var trainer = new MLContext(1).MulticlassClassification.Trainers.Tsm(Options(path));
        var (_, network, report, _) = trainer.BuildNetwork(Clip, numClasses: 4, seed: 3);
        using var disposeNetwork = network;
        var (_, fresh, _, _) = new MLContext(1).MulticlassClassification.Trainers.Tsm(Options(null)).BuildNetwork(Clip, numClasses: 4, seed: 3);
        using var disposeFresh = fresh;

        Assert.IsNotNull(report);
        Assert.AreEqual(TsmWeights.Official.Name, report.Layout);
        Assert.AreEqual("legacy torch.save", report.Container);
        Assert.AreEqual("state_dict", report.Entry);
        Assert.IsTrue(report.HeadReinitialized);
        CollectionAssert.AreEqual(new[] { "fc.weight", "fc.bias" }, report.ReinitializedHead.ToArray());
        Assert.AreEqual(5L, report.CheckpointClasses);
        Assert.AreEqual(state.Count - 2, report.Loaded.Count);
        StringAssert.Contains(report.Summary(), "head re-initialised (fc.weight, fc.bias): the checkpoint has 5 classes, the data 4");
        var loaded = network.state_dict();
        var seeded = fresh.state_dict();
        foreach (var (key, value) in loaded)
        {
            if (key.StartsWith("fc.", StringComparison.Ordinal))
                Assert.IsTrue(Equal(seeded[key], value), $"{key}: the head keeps the seeded initialisation");
            else
                Assert.IsTrue(Equal(state[key], value), $"{key}: loaded from the checkpoint");
        }
    }

    [TestMethod]
    public void OwnNames_SafetensorsAndPrefixedZip_AreDetected_AndTheSameClassCountKeepsTheHead()
    {
        using var folder = new TempFolder();
        var state = TinyTsmState(classes: 4);
        string safetensors = folder.File("export.safetensors");
        SafeTensorsWriter.Write(safetensors, state);
        string zip = folder.File("ddp.pt");
        PyTorchCheckpointWriter.Write(zip, [new("model", state.Select(kv => new KeyValuePair<string, TensorData>("module." + kv.Key, TensorData.FromTensor(kv.Value))).ToList()),
            new("step", 1000L)]);

        foreach (var (path, layout, container, entry) in new[]
        {
            (safetensors, "MLNetVideo (this library's names)", "safetensors", (string?)null),
            (zip, "MLNetVideo (this library's names, DataParallel module. prefix)", "PyTorch zip", "model"),
        })
        {
            var (_, network, report, _) = new MLContext(1).MulticlassClassification.Trainers.Tsm(Options(path)).BuildNetwork(Clip, 4, seed: 3);
            using var disposeNetwork = network;
            Assert.IsNotNull(report);
            Assert.AreEqual(layout, report.Layout, path);
            Assert.AreEqual(container, report.Container, path);
            Assert.AreEqual(entry, report.Entry, path);
            Assert.IsFalse(report.HeadReinitialized, path);
            Assert.AreEqual(state.Count, report.Loaded.Count, path);
            StringAssert.Contains(report.Summary(), "head loaded (4 classes)");
            Assert.IsTrue(network.state_dict().All(kv => Equal(state[kv.Key], kv.Value)), path);
        }
    }

    [TestMethod]
    public void Fit_LogsTheImportReport_AndTheModelZipKeepsNoTraceOfThePath()
    {
        using var folder = new TempFolder();
        string path = WriteOfficialTsm(folder.File("pretrained-tsm-7f3a.pth"), TinyTsmState(classes: 7));
        var mlContext = new MLContext(1);
        var log = new List<string>();
        mlContext.Log += (_, e) => { if (e.Source == "TSM") lock (log) log.Add(e.RawMessage); };
        var data = Data(mlContext);
        using var model = mlContext.MulticlassClassification.Trainers.Tsm(Options(path)).Fit(data);

        string report = log.Single(m => m.Contains("Initial weights", StringComparison.Ordinal));
        StringAssert.Contains(report, $"Initial weights '{path}': legacy torch.save, entry 'state_dict', layout TSM (mit-han-lab/temporal-shift-module).");
        StringAssert.Contains(report, "head re-initialised (fc.weight, fc.bias): the checkpoint has 7 classes, the data 4");
        StringAssert.Contains(report, "Loaded (");
        StringAssert.Contains(report, "layer1.0.conv1.net.weight");
        StringAssert.Contains(report, "Re-initialised (2): fc.weight, fc.bias");

        string zipPath = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zipPath);
        using var archive = ZipFile.OpenRead(zipPath);
        foreach (var entry in archive.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            string text = reader.ReadToEnd();
            Assert.IsFalse(text.Contains("pretrained-tsm-7f3a", StringComparison.Ordinal), $"{entry.FullName} mentions the initial weights file");
            Assert.IsFalse(text.Contains("InitialWeights", StringComparison.Ordinal), $"{entry.FullName} records InitialWeights");
        }
    }

    [TestMethod]
    public void Fit_RefusesFilesThatDoNotFit_NamingTheFileAndTheReason()
    {
        using var folder = new TempFolder();
        var mlContext = new MLContext(1);
        var data = Data(mlContext);

        string text = folder.File("notes.pth");
        File.WriteAllText(text, "not a checkpoint");
        var e = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.MulticlassClassification.Trainers.Tsm(Options(text)).Fit(data));
        StringAssert.Contains(e.Message, text);
        StringAssert.Contains(e.Message, "cannot be read as weights");

        string s3d = folder.File("s3d.safetensors");
        torch.manual_seed(1);
        using (var other = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, 4, widthMultiplier: 0.125)))
            SafeTensorsWriter.Write(s3d, other.state_dict());
        e = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.MulticlassClassification.Trainers.Tsm(Options(s3d)).Fit(data));
        StringAssert.Contains(e.Message, s3d);
        StringAssert.Contains(e.Message, "holds no weights of this TSM network");

        // The right family but another architecture: the importer lists what is missing.
        string resnet18 = WriteOfficialTsm(folder.File("r18.pth"), TinyTsmState(classes: 4));
        e = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.MulticlassClassification.Trainers.Tsm(Options(resnet18, TsmDepth.ResNet34)).Fit(data));
        StringAssert.Contains(e.Message, resnet18);
        StringAssert.Contains(e.Message, "missing (layer1.2.");

        var missing = Assert.ThrowsExactly<ArgumentException>(() => mlContext.MulticlassClassification.Trainers.Tsm(Options(folder.File("absent.pth"))));
        StringAssert.Contains(missing.Message, "InitialWeights");
        StringAssert.Contains(missing.Message, "absent.pth");
        var stages = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
        {
            var o = Options(null);
            o.FrozenStages = 6;
            mlContext.MulticlassClassification.Trainers.Tsm(o).Fit(data);
        });
        StringAssert.Contains(stages.Message, "FrozenStages must be at most 5");
    }

    [TestMethod]
    public void FrozenStages_FreezeBackbone_AndPartialBatchNorm_LeaveExactlyTheirParametersAndStatistics()
    {
        using var folder = new TempFolder();
        var state = TinyTsmState(classes: 4);
        string path = WriteOfficialTsm(folder.File("tsm.pth"), state);

        Dictionary<string, Tensor> Train(Action<TsmTrainer.Options> configure)
        {
            var mlContext = new MLContext(1);
            var options = Options(path);
            options.Epochs = 2;
            configure(options);
            using var model = mlContext.MulticlassClassification.Trainers.Tsm(options).Fit(Data(mlContext, rows: 8));
            return model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone(), StringComparer.Ordinal);
        }

        void Check(Dictionary<string, Tensor> trained, Func<string, bool> frozen, string what)
        {
            foreach (var (key, value) in trained)
            {
                if (key.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                    continue;
                bool same = Equal(state[key], value);
                if (frozen(key))
                    Assert.IsTrue(same, $"{what}: {key} is frozen but changed");
                else if (!key.EndsWith(".bias", StringComparison.Ordinal) || key.StartsWith("fc.", StringComparison.Ordinal))
                    Assert.IsFalse(same, $"{what}: {key} is trained but did not change");
            }
        }

        var stages = Train(o => o.FrozenStages = 2);
        Check(stages, k => k.StartsWith("conv1.", StringComparison.Ordinal) || k.StartsWith("bn1.", StringComparison.Ordinal)
            || k.StartsWith("layer1.", StringComparison.Ordinal), "FrozenStages = 2");

        var backbone = Train(o => o.FreezeBackbone = true);
        Check(backbone, k => !k.StartsWith("fc.", StringComparison.Ordinal), "FreezeBackbone");

        // TSN's partialBN: every batch norm but the stem's keeps its affine parameters and statistics.
        var partial = Train(o => o.PartialBatchNorm = true);
        Check(partial, k => k.Contains("bn", StringComparison.Ordinal) && !k.StartsWith("bn1.", StringComparison.Ordinal)
            || k.Contains("downsample.1.", StringComparison.Ordinal), "PartialBatchNorm");
    }

    [TestMethod]
    public void BackboneLearningRateScale_ReachesTheOptimizer_ForEverythingButTheHead()
    {
        using var folder = new TempFolder();
        var state = TinyTsmState(classes: 4);
        string path = WriteOfficialTsm(folder.File("tsm.pth"), state);

        Dictionary<string, Tensor> Step(double scale, List<string> log)
        {
            var mlContext = new MLContext(1);
            mlContext.Log += (_, e) => { if (e.Source == "TSM") lock (log) log.Add(e.RawMessage); };
            var options = Options(path);
            options.BackboneLearningRateScale = scale;
            // One batch of 4 clips = one plain SGD step (no momentum, no decay, constant rate): Δ = −rate · scale · gradient.
            using var model = mlContext.MulticlassClassification.Trainers.Tsm(options).Fit(Data(mlContext, rows: 4));
            return model.Network.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone(), StringComparer.Ordinal);
        }

        var fullLog = new List<string>();
        var quarterLog = new List<string>();
        var full = Step(1.0, fullLog);
        var quarter = Step(0.25, quarterLog);
        var parameters = full.Keys.Where(k => k.EndsWith("weight", StringComparison.Ordinal) && !k.Contains("bn", StringComparison.Ordinal)).ToList();
        Assert.IsTrue(parameters.Count > 10);
        foreach (var key in parameters)
        {
            var fullStep = full[key] - state[key];
            var quarterStep = quarter[key] - state[key];
            double expected = key.StartsWith("fc.", StringComparison.Ordinal) ? 1.0 : 0.25;
            double norm = fullStep.norm().item<float>();
            Assert.IsTrue(norm > 0, $"{key} did not move");
            double error = (quarterStep - (fullStep * expected)).norm().item<float>() / norm;
            Assert.IsTrue(error < 1e-2, $"{key}: step ratio is not {expected} (relative error {error:G3})");
        }
        Assert.IsFalse(fullLog.Any(m => m.StartsWith("Optimizer groups", StringComparison.Ordinal)), "one group needs no line");
        StringAssert.Contains(quarterLog.Single(m => m.StartsWith("Optimizer groups", StringComparison.Ordinal)), "learning rate ×0.25 for");
    }
}
