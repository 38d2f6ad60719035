using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 10, item 4 (CI size): one loaded S3D-G model serves several threads (one <c>PredictionEngine</c> per thread)
/// with results bit-identical to single-threaded ones, and 500 predictions leave no live TorchSharp tensor behind and
/// keep the resident memory flat. Concurrent MoViNet streaming sessions are
/// <c>MoViNetStreamTests.Sessions_AreIndependent_Resettable_AndRunConcurrently</c>; the 10,000-prediction soak is
/// <c>benchmarks/ReliabilityBenchmarks soak</c>.
/// </summary>
[TestClass, DoNotParallelize, TestCategory(TestCategories.Soak)]
public sealed class PredictionLoadTests
{
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

    private static string _zip = null!;
    private static string _folder = null!;

    [ClassInitialize]
    public static void Train(TestContext _)
    {
        _folder = Path.Combine(Path.GetTempPath(), "mlnv-load-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_folder);
        var mlContext = new MLContext(1);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, 1));
        using var model = mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(data);
        _zip = Path.Combine(_folder, "s3d.zip");
        mlContext.Model.SaveAtomically(model, data.Schema, _zip);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private static float[][] Clips(int count, int seed) => SyntheticClips.Motion(count, seed).Select(r => r.Frames).ToArray();

    [TestMethod]
    public void ManyThreads_OneEnginePerThread_MatchSingleThreadedResults()
    {
        var mlContext = new MLContext(2);
        var model = mlContext.Model.Load(_zip, out _);
        try
        {
            var clips = Clips(8, 5);
            using var single = mlContext.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(model, NotOwning);
            var expected = clips.Select(c => single.Predict(new ClipInput { Frames = c }).Score).ToArray();
            Assert.IsTrue(expected.Select(s => s.Max()).Distinct().Count() > 1, "the clips must score differently");

            const int threads = 4, rounds = 3;
            var results = new float[threads][][];
            var errors = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
            var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
              try
              {
                // OwnsTransformer = false: ML.NET's default disposes the shared model with the first engine disposed.
                using var engine = mlContext.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(model, NotOwning);
                var mine = new List<float[]>();
                for (int r = 0; r < rounds; r++)
                    for (int i = 0; i < clips.Length; i++)
                    {
                        int k = (i + t) % clips.Length;   // each thread walks the clips in another order
                        mine.Add(engine.Predict(new ClipInput { Frames = clips[k] }).Score);
                    }
                results[t] = mine.ToArray();
              }
              catch (Exception e)
              {
                  errors.Enqueue(e);
              }
            })).ToArray();
            foreach (var w in workers) w.Start();
            foreach (var w in workers) Assert.IsTrue(w.Join(TimeSpan.FromMinutes(3)), "a prediction thread hung");
            Assert.IsEmpty(errors, string.Join("\n\n", errors));

            for (int t = 0; t < threads; t++)
            {
                Assert.HasCount(rounds * clips.Length, results[t]);
                for (int n = 0; n < results[t].Length; n++)
                    CollectionAssert.AreEqual(expected[((n % clips.Length) + t) % clips.Length], results[t][n], $"thread {t}, prediction {n}");
            }
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    private static PredictionEngineOptions NotOwning => new() { OwnsTransformer = false };

    [TestMethod]
    public void PooledEngine_ParallelPredictions_MatchSingleThreadedResults_AndKeepTheModel()
    {
        var mlContext = new MLContext(2);
        var model = mlContext.Model.Load(_zip, out _);
        try
        {
            var clips = Clips(8, 11);
            float[][] expected;
            using (var single = mlContext.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(model, NotOwning))
                expected = clips.Select(c => single.Predict(new ClipInput { Frames = c }).Score).ToArray();
            float[][] actual;
            using (var pool = mlContext.Model.CreatePooledPredictionEngine<ClipInput, ClipPrediction>(model, maxIdleEngines: 2))
            {
                actual = Enumerable.Range(0, 48).AsParallel().WithDegreeOfParallelism(4)
                    .Select(i => (i, pool.Predict(new ClipInput { Frames = clips[i % clips.Length] }).Score))
                    .OrderBy(p => p.i).Select(p => p.Score).ToArray();
                Assert.IsTrue(pool.EnginesCreated is >= 1 and <= 48, $"{pool.EnginesCreated} engines");
            }
            for (int i = 0; i < actual.Length; i++)
                CollectionAssert.AreEqual(expected[i % clips.Length], actual[i], $"prediction {i}");
            // The pool did not own the model: it still predicts.
            Assert.HasCount(4, ((VideoClassifierTransformer<S3DSpec>)model).PredictProbabilities(clips[0]));
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    [TestMethod]
    public void DefaultEngineDisposal_DisposesTheSharedModel_WithAClearError()
    {
        // Pins ML.NET 5.0.1's default (PredictionEngineOptions.OwnsTransformer = true) that PooledPredictionEngine works around.
        var mlContext = new MLContext(2);
        var model = mlContext.Model.Load(_zip, out _);
        var clip = Clips(1, 3)[0];
        using (var first = mlContext.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(model))
            first.Predict(new ClipInput { Frames = clip });
        var ex = Assert.ThrowsExactly<ObjectDisposedException>(() => ((VideoClassifierTransformer<S3DSpec>)model).PredictProbabilities(clip));
        StringAssert.Contains(ex.ObjectName, "VideoClassifierTransformer");
    }

    [TestMethod]
    public void FiveHundredPredictions_LeaveNoLiveTensors_AndFlatMemory()
    {
        var mlContext = new MLContext(2);
        var model = mlContext.Model.Load(_zip, out _);
        try
        {
            var clips = Clips(10, 7);
            using var engine = mlContext.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(model);
            var input = new ClipInput();
            for (int i = 0; i < 50; i++)   // warm-up: allocator pools, JIT, lazily created state
            {
                input.Frames = clips[i % clips.Length];
                engine.Predict(input);
            }
            var (tensorsBefore, rssBefore) = Measure();
            DisposeScopeManager.Statistics.Reset();
            for (int i = 0; i < 500; i++)
            {
                input.Frames = clips[i % clips.Length];
                engine.Predict(input);
            }
            var (tensorsAfter, rssAfter) = Measure();
            var stats = DisposeScopeManager.Statistics;
            Console.WriteLine($"500 predictions: live tensors {tensorsBefore} → {tensorsAfter}; thread live count {stats.ThreadTotalLiveCount}; " +
                $"RSS {rssBefore / 1048576.0:0.0} → {rssAfter / 1048576.0:0.0} MiB");
            Assert.AreEqual(tensorsBefore, tensorsAfter, "every tensor created by a prediction must be disposed");
            Assert.AreEqual(0L, stats.ThreadTotalLiveCount, stats.ToString());
            Assert.IsTrue(rssAfter - rssBefore < 48L << 20, $"RSS grew by {(rssAfter - rssBefore) / 1048576.0:0.0} MiB over 500 predictions");
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }

    /// <summary>Live TorchSharp tensors (all threads) and resident memory, after a full garbage collection.</summary>
    internal static (long Tensors, long Rss) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return (torch.Tensor.TotalCount, Environment.WorkingSet);
    }
}
