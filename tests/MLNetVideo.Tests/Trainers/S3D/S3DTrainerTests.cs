using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Trainers.S3D;

/// <summary>The shared trainer core through its first family: schema, Evaluate, persistence, views, checkpoints.</summary>
[TestClass]
[DoNotParallelize]
public sealed class S3DTrainerTests
{
    public TestContext TestContext { get; set; } = null!;

    private const int FrameCount = 8, Size = 32;

    public sealed class ClipInput
    {
        [VectorType(3, FrameCount, Size, Size)]
        public float[] Frames { get; set; } = [];
    }

    public sealed class ClipPrediction
    {
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    [TestInitialize]
    public void Seed() => torch.manual_seed(13);

    private static S3DTrainer.Options Tiny(int epochs = 1) => new()
    {
        Variant = S3DVariant.S3DG,
        WidthMultiplier = 0.125,
        Epochs = epochs,
        BatchSize = 4,
        Device = "cpu",
        Seed = 3,
        LearningRate = 0.01,
    };

    private string TempFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnetvideo-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static float[] Scores(IDataView scored)
    {
        var column = scored.Schema["Score"];
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        var all = new List<float>();
        while (cursor.MoveNext())
        {
            getter(ref value);
            all.AddRange(value.DenseValues());
        }
        return all.ToArray();
    }

    /// <summary>SchemaShape of a schema (ML.NET's SchemaShape.Create is internal).</summary>
    private static SchemaShape ShapeOf(DataViewSchema schema) => new(schema.Where(c => !c.IsHidden).Select(c => MLNetVideo.Interop.SchemaShapes.Column(c.Name, c.Type,
        MLNetVideo.Interop.SchemaShapes.Annotations(c.Annotations.Schema.Select(a => MLNetVideo.Interop.SchemaShapes.Column(a.Name, a.Type)).ToArray()))));

    [TestMethod]
    public void Fit_LabelThatIsNotAKey_IsRefusedWithMLNetWording()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(4, 1));
        var trainer = mlContext.MulticlassClassification.Trainers.S3D(Tiny());
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(data));
        StringAssert.Contains(ex.Message, "Schema mismatch for label column 'Label': expected Key, got String");
        var shapeEx = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.GetOutputSchema(ShapeOf(data.Schema)));
        StringAssert.Contains(shapeEx.Message, "Schema mismatch for label column 'Label': expected Key");
    }

    [TestMethod]
    public void Fit_ClipColumnOfTheWrongRank_IsRefused()
    {
        var mlContext = new MLContext(1);
        var rows = SyntheticClips.Motion(4, 1);
        var definition = SchemaDefinition.Create(typeof(ClipRow));
        definition[nameof(ClipRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3 * FrameCount, Size * Size);
        var data = mlContext.Data.LoadFromEnumerable(rows, definition);
        data = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.S3D(Tiny()).Fit(data));
        StringAssert.Contains(ex.Message, "Schema mismatch for clip column 'Frames': expected Vector<Single, C, T, H, W>");
        StringAssert.Contains(ex.Message, "got Vector<Single, 24, 1024>");
    }

    [TestMethod]
    public void Options_AreValidatedWhenTheTrainerIsCreated()
    {
        var mlContext = new MLContext(1);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options { Epochs = 0 }));
        StringAssert.Contains(ex.Message, "Epochs must be positive; got 0");
        var patience = Assert.ThrowsExactly<ArgumentException>(() => mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options { EarlyStoppingPatience = 2 }));
        StringAssert.Contains(patience.Message, "EarlyStoppingPatience needs a ValidationSet");
        var frames = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options { FramesPerClip = 4 }));
        StringAssert.Contains(frames.Message, "FramesPerClip must be at least 8 for S3D; got 4");
    }

    [TestMethod]
    public void Fit_GivesProbabilitiesAndNamedKeys_ThatEvaluateAndMapKeyToValueUse()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(12, 1));
        var trainer = mlContext.MulticlassClassification.Trainers.S3D(Tiny());
        using var model = trainer.Fit(data);
        var scored = model.Transform(data);

        // Schema: Score = Vector<Single, 4> with SlotNames; PredictedLabel = Key<UInt32, 4> with KeyValues.
        var score = scored.Schema["Score"];
        Assert.AreEqual(4, ((VectorDataViewType)score.Type).Size);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        score.GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(new[] { "down", "left", "right", "up" }, slotNames.DenseValues().Select(v => v.ToString()).ToArray());
        var predicted = scored.Schema["PredictedLabel"];
        Assert.AreEqual(4UL, ((KeyDataViewType)predicted.Type).Count);
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        predicted.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(new[] { "down", "left", "right", "up" }, keyValues.DenseValues().Select(v => v.ToString()).ToArray());

        // The estimator's schema promise matches what the transformer produces.
        var shape = trainer.GetOutputSchema(ShapeOf(data.Schema));
        var promisedScore = shape.Single(c => c.Name == "Score");
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, promisedScore.Kind);
        Assert.IsTrue(shape.Single(c => c.Name == "PredictedLabel").IsKey);

        // Probabilities sum to 1 and the predicted key is their argmax.
        var rows = mlContext.Data.CreateEnumerable<ScoredRow>(scored, reuseRowObject: false).ToList();
        Assert.AreEqual(12, rows.Count);
        foreach (var row in rows)
        {
            Assert.AreEqual(1.0, row.Score.Sum(), 1e-5);
            Assert.AreEqual((uint)Array.IndexOf(row.Score, row.Score.Max()) + 1, row.PredictedLabel);
        }

        // Evaluate works unchanged, and its micro accuracy is our own count.
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        double ours = rows.Count(r => r.PredictedLabel == r.Label) / (double)rows.Count;
        Assert.AreEqual(ours, metrics.MicroAccuracy, 1e-9);
        Assert.IsTrue(metrics.MicroAccuracy is >= 0 and <= 1);
        var topK = mlContext.MulticlassClassification.Evaluate(scored, topKPredictionCount: 4);
        Assert.AreEqual(1.0, topK.TopKAccuracy, 1e-9);   // every label is within the top 4 of 4 classes

        // MapKeyToValue restores the class names.
        var named = mlContext.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(scored).Transform(scored);
        var texts = named.GetColumn<string>("PredictedText").ToList();
        Assert.AreEqual(12, texts.Count);
        Assert.IsTrue(texts.All(t => SyntheticClips.Directions.Contains(t)));
    }

    private sealed class ScoredRow
    {
        public uint Label { get; set; }

        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    [TestMethod]
    public void SaveAndLoad_GiveIdenticalScores_AndAPredictionEngineOnTheLoadedModel()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, 1));
        using var model = mlContext.MulticlassClassification.Trainers.S3D(Tiny()).Fit(data);
        var before = Scores(model.Transform(data));
        string path = Path.Combine(TempFolder(), "s3d.zip");
        mlContext.Model.Save(model, data.Schema, path);

        var fresh = new MLContext(2);
        var loaded = fresh.Model.Load(path, out var inputSchema);
        try
        {
            Assert.AreEqual(typeof(VideoClassifierTransformer<S3DSpec>), loaded.GetType());
            var after = Scores(loaded.Transform(data));
            CollectionAssert.AreEqual(before, after);   // bit-identical

            var clip = SyntheticClips.Motion(1, 9)[0].Frames;
            using var engine = fresh.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(loaded);
            var prediction = engine.Predict(new ClipInput { Frames = clip });
            var direct = ((VideoClassifierTransformer<S3DSpec>)loaded).PredictProbabilities(clip);
            CollectionAssert.AreEqual(direct, prediction.Score);
            Assert.AreEqual((uint)Array.IndexOf(direct, direct.Max()) + 1, prediction.PredictedLabel);
            Assert.AreEqual(1.0, prediction.Score.Sum(), 1e-5);
        }
        finally
        {
            (loaded as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void MultiViewRows_AverageTheSoftmaxOfTheirViews()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, 1));
        using var model = mlContext.MulticlassClassification.Trainers.S3D(Tiny()).Fit(data);

        var twoView = SyntheticClips.Motion(3, 4, views: 2);
        var scores = Scores(model.Transform(SyntheticClips.Load(mlContext, twoView, views: 2)));
        int viewSize = 3 * FrameCount * Size * Size;
        for (int r = 0; r < twoView.Count; r++)
        {
            var first = model.PredictProbabilities(twoView[r].Frames.AsSpan(0, viewSize));
            var second = model.PredictProbabilities(twoView[r].Frames.AsSpan(viewSize, viewSize));
            for (int c = 0; c < 4; c++)
                Assert.AreEqual((first[c] + second[c]) / 2, scores[(r * 4) + c], 1e-5);
            Assert.IsFalse(first.SequenceEqual(second), "the two views should score differently");
        }
    }

    [TestMethod]
    public void FramesFirstLayout_IsAcceptedAndScoredLikeTheChannelsFirstOne()
    {
        var mlContext = new MLContext(1);
        var rows = SyntheticClips.Motion(8, 1);
        var transposed = rows.Select(r => new ClipRow { Label = r.Label, Frames = ToFramesFirst(r.Frames) }).ToList();
        var definition = SchemaDefinition.Create(typeof(ClipRow));
        definition[nameof(ClipRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, FrameCount, 3, Size, Size);
        var framesFirst = mlContext.Data.LoadFromEnumerable(transposed, definition);
        framesFirst = mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(framesFirst).Transform(framesFirst);
        var channelsFirst = SyntheticClips.LoadKeyed(mlContext, rows);

        var a = Tiny();
        var b = Tiny();
        b.ClipLayout = ClipLayout.Tchw;
        using var modelA = mlContext.MulticlassClassification.Trainers.S3D(a).Fit(channelsFirst);
        using var modelB = mlContext.MulticlassClassification.Trainers.S3D(b).Fit(framesFirst);
        CollectionAssert.AreEqual(Scores(modelA.Transform(channelsFirst)), Scores(modelB.Transform(framesFirst)));
    }

    private static float[] ToFramesFirst(float[] clip)
    {
        int plane = Size * Size;
        var result = new float[clip.Length];
        for (int c = 0; c < 3; c++)
            for (int t = 0; t < FrameCount; t++)
                Array.Copy(clip, ((c * FrameCount) + t) * plane, result, ((t * 3) + c) * plane, plane);
        return result;
    }

    private static Dictionary<string, torch.Tensor> Weights(VideoClassifierTransformer<S3DSpec> model) => model.Network.state_dict();

    [TestMethod]
    public void InterruptedTraining_ResumedFromItsCheckpoint_EndsBitIdenticalToAnUninterruptedRun()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(10, 1));

        var straight = Tiny(epochs: 4);
        straight.CheckpointFolder = TempFolder();
        straight.ShufflePoolSize = 4;   // pool smaller than the data: exercises the streaming shuffle
        using var reference = mlContext.MulticlassClassification.Trainers.S3D(straight).Fit(data);

        string folder = TempFolder();
        var interrupted = Tiny(epochs: 4);
        interrupted.CheckpointFolder = folder;
        interrupted.ShufflePoolSize = 4;
        interrupted.MetricsCallback = m => { if (m.Epoch == 2) throw new OperationCanceledException("simulated crash after epoch 2"); };
        Assert.ThrowsExactly<OperationCanceledException>(() => mlContext.MulticlassClassification.Trainers.S3D(interrupted).Fit(data));
        Assert.IsTrue(File.Exists(TrainingCheckpoint.PathIn(folder)));

        var resumedEpochs = new List<int>();
        var resume = Tiny(epochs: 4);
        resume.CheckpointFolder = folder;
        resume.ShufflePoolSize = 4;
        resume.ResumeFromCheckpoint = true;
        resume.MetricsCallback = m => resumedEpochs.Add(m.Epoch);
        using var resumed = mlContext.MulticlassClassification.Trainers.S3D(resume).Fit(data);

        CollectionAssert.AreEqual(new[] { 3, 4 }, resumedEpochs);
        var expected = Weights(reference);
        var actual = Weights(resumed);
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
        foreach (var (name, tensor) in expected)
            Assert.IsTrue(tensor.eq(actual[name]).all().item<bool>(), $"{name} differs after resume");

        // And the run really trained: the weights differ from a 2-epoch run's.
        var twoEpochs = Tiny(epochs: 2);
        using var shorter = mlContext.MulticlassClassification.Trainers.S3D(twoEpochs).Fit(data);
        Assert.IsFalse(Weights(shorter)["fc.0.weight"].eq(actual["fc.0.weight"]).all().item<bool>());
    }

    [TestMethod]
    public void DamagedOrMismatchedCheckpoints_AreRefused()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, 1));

        string damaged = TempFolder();
        File.WriteAllText(TrainingCheckpoint.PathIn(damaged), "not a zip");
        var options = Tiny();
        options.CheckpointFolder = damaged;
        options.ResumeFromCheckpoint = true;
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data));
        StringAssert.Contains(ex.Message, "is damaged");

        string folder = TempFolder();
        var first = Tiny();
        first.CheckpointFolder = folder;
        using (mlContext.MulticlassClassification.Trainers.S3D(first).Fit(data)) { }
        var wider = Tiny(epochs: 2);
        wider.WidthMultiplier = 0.25;
        wider.CheckpointFolder = folder;
        wider.ResumeFromCheckpoint = true;
        var mismatch = Assert.ThrowsExactly<InvalidDataException>(() => mlContext.MulticlassClassification.Trainers.S3D(wider).Fit(data));
        StringAssert.Contains(mismatch.Message, "different training configuration");
    }

    [TestMethod]
    public void EarlyStopping_EndsTrainingWhenValidationAccuracyStopsImproving()
    {
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, 1));
        var epochs = new List<EpochMetrics>();
        var options = Tiny(epochs: 6);
        options.LearningRate = 1e-12;        // the weights do not move ...
        options.BatchNormMomentum = 0;       // ... nor do the BN statistics, so validation accuracy cannot improve
        options.ValidationSet = data;
        options.EarlyStoppingPatience = 1;
        options.MetricsCallback = epochs.Add;
        var log = new List<string>();
        mlContext.Log += (_, e) => { if (e.Source == "S3D") log.Add(e.Message); };
        using var model = mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data);

        Assert.AreEqual(2, epochs.Count);
        Assert.IsTrue(epochs[1].StoppedEarly);
        Assert.AreEqual(epochs[0].ValidationAccuracy, epochs[1].ValidationAccuracy);
        Assert.IsTrue(epochs.All(e => e.ValidationAccuracy is >= 0 and <= 1 && e.ValidationTopKAccuracy == 1.0 && e.ClipsPerSecond > 0));
        Assert.IsTrue(log.Any(l => l.Contains("epoch 2/6", StringComparison.Ordinal) && l.Contains("(early stop)", StringComparison.Ordinal)),
            string.Join("\n", log));
    }
}
