using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.Core.MLNetInterop;
using MLNetVideo.Tests.Fixtures.LegacyZips;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// What every backbone family promises, checked once over all of them (one row per family, tiny networks, one epoch on
/// four rows): save/load gives bit-identical scores and extra columns, a fresh process loads every family's zip (one
/// process for all), PredictionEngine scores a loaded model, schema errors use ML.NET's wording, options are validated
/// when the trainer is created, the state dict holds every tensor once, and the descriptor's head and stages cover it.
/// A new family adds a row to <see cref="Families"/>.
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class BackboneContractTests
{
    public TestContext TestContext { get; set; } = null!;

    /// <summary>One family: a tiny trainer, the clip dimensions it reads, a family option that is out of range (with what
    /// the message says), and the descriptor.</summary>
    private sealed record Family(string Name, int[] Dimensions, Func<MLContext, Func<VideoTrainerOptionsBase, VideoTrainerOptionsBase>?, IEstimator<ITransformer>> Trainer,
        Func<MLContext, object> InvalidOption, string InvalidMessage, object Backbone);

    private static T Apply<T>(T options, Func<VideoTrainerOptionsBase, VideoTrainerOptionsBase>? change) where T : VideoTrainerOptionsBase
        => change is null ? options : (T)change(options);

    private static readonly Family[] All =
    [
        new("S3D", [3, 8, 32, 32],
            (ml, c) => ml.MulticlassClassification.Trainers.S3D(Apply(TinyFamilies.S3D(S3DVariant.S3DG), c)),
            ml => ml.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options { FramesPerClip = 4 }), "FramesPerClip must be at least 8 for S3D; got 4",
            S3DBackbone.Instance),
        new("MoViNet", [3, 4, 32, 32],
            (ml, c) => ml.MulticlassClassification.Trainers.MoViNet(Apply(TinyFamilies.MoViNet(MoViNetMode.Stream, temporalEnsemble: true), c)),
            ml => ml.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options { WidthMultiplier = 0.01 }), "WidthMultiplier",
            MoViNetBackbone.Instance),
        new("TSM", [8, 3, 32, 32],
            (ml, c) => ml.MulticlassClassification.Trainers.Tsm(Apply(TinyFamilies.Tsm(clustered: true), c)),
            ml => ml.MulticlassClassification.Trainers.Tsm(new TsmTrainer.Options { Clustering = TsmClustering.Cumulative, ClusterCount = 0 }), "ClusterCount",
            TsmBackbone.Instance),
        new("AFNet", [4, 3, 32, 32],
            (ml, c) => ml.MulticlassClassification.Trainers.AFNet(Apply(TinyFamilies.AFNet(), c)),
            ml => ml.MulticlassClassification.Trainers.AFNet(new AFNetTrainer.Options { Alpha = 3 }), "Alpha",
            AFNetBackbone.Instance),
        new("EVL", [3, 4, 5, 16],
            (ml, c) => ml.MulticlassClassification.Trainers.Evl(Apply(TinyFamilies.Evl(), c)),
            ml => ml.MulticlassClassification.Trainers.Evl(new EvlTrainer.Options { MlpDropout = 2 }), "MlpDropout",
            EvlBackbone.Instance),
    ];

    public static IEnumerable<object[]> Families() => All.Select(f => new object[] { f.Name });

    private static Family Get(string name) => All.Single(f => f.Name == name);

    private static readonly Dictionary<string, (string Zip, float[][] Scores, float[][] Extras, string[] ExtraNames, float[][] TorchScores)> Trained = [];
    private static TempFolder? s_folder;

    private static IDataView TrainingData(MLContext mlContext, int[] dimensions)
    {
        int size = dimensions.Aggregate(1, (a, b) => a * b);
        var rows = Enumerable.Range(0, 4).Select(i => new LegacyZipRow { Frames = LegacyZipInputs.Row(size, 20 + i), Label = i % 2 == 0 ? "a" : "b" }).ToList();
        var data = LegacyZipInputs.Load(mlContext, rows, dimensions);
        return mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    }

    private static float[][] Column(IDataView scored, string name)
        => scored.Schema[name].Type is VectorDataViewType
            ? scored.GetColumn<VBuffer<float>>(name).Select(v => v.DenseValues().ToArray()).ToArray()
            : scored.GetColumn<float>(name).Select(v => new[] { v }).ToArray();

    /// <summary>Trains the family's tiny model once for all tests, saves it, and records its scores and extra columns.</summary>
    private static (string Zip, float[][] Scores, float[][] Extras, string[] ExtraNames, float[][] TorchScores) Train(string name)
    {
        if (Trained.TryGetValue(name, out var done)) return done;
        s_folder ??= new TempFolder();
        var family = Get(name);
        var mlContext = new MLContext(seed: 1);
        torch.manual_seed(3);
        var model = family.Trainer(mlContext, null).Fit(TrainingData(mlContext, family.Dimensions));
        try
        {
            var classifier = (IVideoClassifier)model;
            var input = LegacyZipInputs.ScoringInput(mlContext, family.Dimensions);
            var scored = model.Transform(input);
            string zip = s_folder.File(name + ".zip");
            mlContext.Model.Save(model, input.Schema, zip);
            var extraNames = classifier.ExtraOutputColumns.ToArray();
            var extras = extraNames.Length == 0 ? [] : Column(scored, extraNames[0]);
            var scores = Column(scored, "Score");
            // The default (Auto) scores with ONNX Runtime where the family exports; TorchSharp's scores agree within 1e-5.
            classifier.ScoringBackend = ScoringBackend.TorchSharp;
            var torchScores = Column(model.Transform(input), "Score");
            for (int row = 0; row < scores.Length; row++)
                for (int i = 0; i < scores[row].Length; i++)
                    Assert.AreEqual(torchScores[row][i], scores[row][i], 1e-5, $"{name} row {row}: {classifier.ActiveScoringBackend} vs TorchSharp");
            return Trained[name] = (zip, scores, extras, extraNames, torchScores);
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder?.Dispose();

    [TestMethod]
    [DynamicData(nameof(Families))]
    public void SaveAndLoad_ScoreBitIdentically_AndAPredictionEngineScoresTheLoadedModel(string name)
    {
        var family = Get(name);
        var (zip, scores, extras, extraNames, _) = Train(name);
        var mlContext = new MLContext(seed: 2);
        var loaded = mlContext.Model.Load(zip, out _);
        try
        {
            Assert.IsInstanceOfType<IVideoClassifier>(loaded);
            var scored = loaded.Transform(LegacyZipInputs.ScoringInput(mlContext, family.Dimensions));
            var after = Column(scored, "Score");
            for (int row = 0; row < scores.Length; row++)
            {
                CollectionAssert.AreEqual(scores[row], after[row], $"{name} row {row}");
                Assert.AreEqual(1.0, after[row].Sum(), 1e-5);
            }
            CollectionAssert.AreEqual(extraNames, ((IVideoClassifier)loaded).ExtraOutputColumns.ToArray());
            if (extraNames.Length > 0)
                CollectionAssert.AreEqual(extras.SelectMany(e => e).ToArray(), Column(scored, extraNames[0]).SelectMany(e => e).ToArray());

            var definition = SchemaDefinition.Create(typeof(LegacyZipRow));
            definition[nameof(LegacyZipRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, family.Dimensions);
            using var engine = mlContext.Model.CreatePredictionEngine<LegacyZipRow, Prediction>(loaded, inputSchemaDefinition: definition);
            int size = family.Dimensions.Aggregate(1, (a, b) => a * b);
            var prediction = engine.Predict(new LegacyZipRow { Frames = LegacyZipInputs.Row(size, 1) });
            CollectionAssert.AreEqual(scores[1], prediction.Score);
            Assert.AreEqual((uint)Array.IndexOf(scores[1], scores[1].Max()) + 1, prediction.PredictedLabel);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    public sealed class Prediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    [TestMethod, TestCategory(TestCategories.Process), Timeout(300_000, CooperativeCancellation = true)]   // about 5 s idle
    public void AFreshProcess_LoadsEveryFamilysZip_AndScoresTheSame()
    {
        var list = new List<string>();
        foreach (var family in All)
        {
            var (zip, _, _, _, _) = Train(family.Name);
            int size = family.Dimensions.Aggregate(1, (a, b) => a * b);
            string rows = s_folder!.File(family.Name + ".rows");
            File.WriteAllLines(rows, Enumerable.Range(0, LegacyZipInputs.ScoredRows)
                .Select(i => string.Join(",", LegacyZipInputs.Row(size, i).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
            list.Add($"{zip}\tFrames\tScore\t{rows}");
        }
        string listFile = s_folder!.File("zips.txt");
        File.WriteAllLines(listFile, list);
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ModelZipPersistenceTests.ConsumerPath());
        start.ArgumentList.Add("--batch");
        start.ArgumentList.Add(listFile);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.IsTrue(ChildProcess.WaitOrKill(process, TimeSpan.FromMinutes(3), TestContext.CancellationToken), "consumer process timed out or the test was cancelled");
        Assert.AreEqual(0, process.ExitCode, stderr.Result);

        var blocks = stdout.Result.Split("== ", StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(All.Length, blocks, stdout.Result);
        for (int f = 0; f < All.Length; f++)
        {
            var lines = blocks[f].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            // The consumer does not deploy ONNX Runtime, so Auto scores with TorchSharp there: bit-identical to TorchSharp here.
            var expected = Trained[All[f].Name].TorchScores;
            Assert.HasCount(expected.Length + 1, lines, blocks[f]);
            for (int row = 0; row < expected.Length; row++)
                CollectionAssert.AreEqual(expected[row], lines[row + 1].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray(), $"{All[f].Name} row {row}");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Families))]
    public void SchemaErrors_NameTheColumn_InMLNetsWording(string name)
    {
        var family = Get(name);
        var mlContext = new MLContext(seed: 1);
        var keyed = TrainingData(mlContext, family.Dimensions);
        var trainer = family.Trainer(mlContext, null);

        var textLabel = mlContext.Transforms.Conversion.MapKeyToValue("Label").Fit(keyed).Transform(keyed);
        var label = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(textLabel));
        StringAssert.Contains(label.Message, "Schema mismatch for label column 'Label': expected Key, got String");

        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => family.Trainer(mlContext, o => { o.ClipColumnName = "Nope"; return o; }).Fit(keyed));
        StringAssert.Contains(missing.Message, "Could not find clip column 'Nope'");

        int size = family.Dimensions.Aggregate(1, (a, b) => a * b);
        var flat = LegacyZipInputs.Load(mlContext, [new LegacyZipRow { Frames = new float[size], Label = "a" }, new LegacyZipRow { Frames = new float[size], Label = "b" }], [size]);
        flat = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(flat).Transform(flat);
        var rank = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(flat));
        StringAssert.Contains(rank.Message, "Schema mismatch for clip column 'Frames'");
        StringAssert.Contains(rank.Message, $"got Vector<Single, {size}>");
    }

    [TestMethod]
    [DynamicData(nameof(Families))]
    public void Options_AreValidatedWhenTheTrainerIsCreated(string name)
    {
        var family = Get(name);
        var mlContext = new MLContext(seed: 1);
        var epochs = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => family.Trainer(mlContext, o => { o.Epochs = 0; return o; }));
        StringAssert.Contains(epochs.Message, "Epochs must be positive; got 0");
        var device = Assert.ThrowsExactly<ArgumentException>(() => family.Trainer(mlContext, o => { o.Device = "cuda:-1"; return o; }));
        StringAssert.Contains(device.Message, "Device must be");
        var patience = Assert.ThrowsExactly<ArgumentException>(() => family.Trainer(mlContext, o => { o.EarlyStoppingPatience = 2; return o; }));
        StringAssert.Contains(patience.Message, "EarlyStoppingPatience needs a ValidationSet");
        var own = Assert.Throws<ArgumentException>(() => family.InvalidOption(mlContext));
        StringAssert.Contains(own.Message, family.InvalidMessage);
    }

    [TestMethod]
    [DynamicData(nameof(Families))]
    public void StateDict_HoldsEveryTensorOnce_AndTheDescriptorsHeadAndStagesCoverIt(string name)
    {
        var (zip, _, _, _, _) = Train(name);
        var loaded = new MLContext(seed: 1).Model.Load(zip, out _);
        try
        {
            switch (loaded)
            {
                case VideoClassifierTransformer<S3DSpec> m: CheckNetwork(m); break;
                case VideoClassifierTransformer<MoViNetSpec> m: CheckNetwork(m); break;
                case VideoClassifierTransformer<TsmSpec> m: CheckNetwork(m); break;
                case VideoClassifierTransformer<AFNetSpec> m: CheckNetwork(m); break;
                case VideoClassifierTransformer<EvlSpec> m: CheckNetwork(m); break;
                default: Assert.Fail($"{name}: unexpected model type {loaded.GetType()}"); break;
            }
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    private static void CheckNetwork<TSpec>(VideoClassifierTransformer<TSpec> model) where TSpec : class
    {
        var backbone = model.Backbone;
        string name = backbone.FamilyName;
        var entries = model.Network.state_dict();
        Assert.IsFalse(entries.Keys.Any(k => k.Contains("k__BackingField", StringComparison.Ordinal)), $"{name}: a module registered twice under a compiler-generated name");
        var shared = entries.GroupBy(e => (object)e.Value, ReferenceEqualityComparer.Instance).Where(g => g.Count() > 1).ToList();
        Assert.IsEmpty(shared, $"{name}: tensors saved under two keys: " + string.Join("; ", shared.Select(g => string.Join(", ", g.Select(e => e.Key)))));
        var keys = entries.Keys.ToList();
        Assert.IsTrue(keys.Any(backbone.IsHeadKey), $"{name}: no head key");
        int stages = backbone.StageCount(model.Spec);
        var stageOfKey = keys.Where(k => !backbone.IsHeadKey(k)).Select(backbone.StageOf).ToList();
        Assert.IsTrue(stageOfKey.All(s => s < stages), $"{name}: a key in a stage beyond {stages}");
        for (int stage = 0; stage < stages; stage++)
            Assert.Contains(stage, stageOfKey, $"{name}: stage {stage} of {stages} has no key");
    }

    [TestMethod]
    [DynamicData(nameof(Families))]
    public void OutputSchema_AddsScorePredictedLabelAndTheFamilysExtraColumns(string name)
    {
        var family = Get(name);
        var mlContext = new MLContext(seed: 1);
        var data = TrainingData(mlContext, family.Dimensions);
        var shape = family.Trainer(mlContext, null).GetOutputSchema(SchemaShapeOf(data.Schema));
        Assert.IsTrue(shape.Any(c => c.Name == "Score"));
        Assert.IsTrue(shape.Any(c => c.Name == "PredictedLabel" && c.IsKey));
        bool afnet = family.Backbone is AFNetBackbone;
        Assert.AreEqual(afnet, shape.Any(c => c.Name == AFNetScoring.SelectedFrameRatioColumnName));
    }

    private static SchemaShape SchemaShapeOf(DataViewSchema schema) => new(schema.Where(c => !c.IsHidden).Select(c => MLNetVideo.Interop.SchemaShapes.Column(c.Name, c.Type,
        MLNetVideo.Interop.SchemaShapes.Annotations(c.Annotations.Schema.Select(a => MLNetVideo.Interop.SchemaShapes.Column(a.Name, a.Type)).ToArray()))));
}
