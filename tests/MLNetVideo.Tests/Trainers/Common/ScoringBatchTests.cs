using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Tests.Onnx;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Common;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// Issue 22, item 3: a scoring cursor scores several rows per forward pass (<c>ScoringBatchRows</c>). Rows come in order,
/// each with the scores it gets alone, on both backends; a row's error stays with that row and its batch-mates are
/// scored; a cursor disposed early leaves no decoder running.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ScoringBatchTests
{
    private const int Rows = 7;

    private static float[][] Scores(IDataView view) => view.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();

    private static void AssertClose(float[][] alone, float[][] batched, string what)
    {
        Assert.HasCount(alone.Length, batched, what);
        for (int r = 0; r < alone.Length; r++)
        {
            Assert.HasCount(alone[r].Length, batched[r], $"{what}: row {r}");
            for (int i = 0; i < alone[r].Length; i++)
                Assert.AreEqual(alone[r][i], batched[r][i], 1e-5, $"{what}: row {r}, class {i}");
        }
        Assert.IsTrue(alone.Any(r => r.Max() - r.Min() > 1e-3), $"{what}: the probabilities are nearly uniform; the comparison would mean little");
        Assert.IsTrue(alone.Skip(1).Any(r => r.Zip(alone[0]).Any(p => Math.Abs(p.First - p.Second) > 1e-4)), $"{what}: the rows do not differ; their order would not show");
    }

    [TestMethod]
    [DataRow(ScoringBackend.OnnxRuntime)]
    [DataRow(ScoringBackend.TorchSharp)]
    public void BatchedRows_ComeInOrder_WithTheScoresTheyGetAlone(ScoringBackend backend)
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(Rows, seed: 31, frames: OnnxScoringTests.Frames, size: OnnxScoringTests.Size),
            OnnxScoringTests.Frames, OnnxScoringTests.Size);
        // The tiny clustered TSM of the ONNX tests (its column is Cthw, its network reads Tchw); tiny S3D-Gs at random
        // initialisation give every row the same probabilities, which would not show an order or a mix-up.
        using var model = OnnxScoringTests.TinyTsm(mlContext);
        CompareBatchedToAlone(model, data, $"TSM on {backend}", backend);
    }

    private static void CompareBatchedToAlone<TSpec>(VideoClassifierTransformer<TSpec> model, IDataView data, string what, ScoringBackend backend)
        where TSpec : class
    {
        model.ScoringBackend = backend;
        Assert.AreEqual(1, model.ActiveScoringBatchRows, "on the CPU, Auto scores one row per forward");
        long before = model.Forwards;
        var alone = Scores(model.Transform(data));
        Assert.AreEqual(Rows, model.Forwards - before, "one forward per row");
        Assert.AreEqual(backend, model.ActiveScoringBackend);

        model.ScoringBatchRows = 3;
        before = model.Forwards;
        var batched = Scores(model.Transform(data));
        Assert.AreEqual(3, model.Forwards - before, "the first row alone, then 3 + 3 rows");
        AssertClose(alone, batched, $"{what}, 3 rows per forward");
    }

    [TestMethod]
    public void ScoringBatchRows_IsValidated()
    {
        using var model = OnnxScoringTests.TinyTsm(new MLContext(seed: 1));
        Assert.AreEqual(0, model.ScoringBatchRows, "0 (automatic) is the default");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ScoringBatchRows = -1);
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.ScoringBatchRows = VideoClassifierTransformer<TsmSpec>.MaxScoringBatchRows + 1);
        StringAssert.Contains(error.Message, "ScoringBatchRows");
        model.ScoringBatchRows = 5;
        Assert.AreEqual(5, model.ActiveScoringBatchRows);
    }

    private sealed class Value
    {
        [VectorType(2)]
        public float[] Frames { get; set; } = [];
    }

    /// <summary>The batching itself, with a scoring function that fails on any batch holding a negative row.</summary>
    [TestMethod]
    public void AForwardThatFails_IsRetriedRowByRow_SoTheErrorStaysWithItsRow()
    {
        var mlContext = new MLContext(seed: 1);
        float[] values = [1, 2, -3, 4, 5, 6, 7];
        var data = mlContext.Data.LoadFromEnumerable(values.Select(v => new Value { Frames = [v, 10 * v] }));
        var calls = new List<int>();
        (float[][], float[][]) Score(IReadOnlyList<float[]> rows)
        {
            calls.Add(rows.Count);
            if (rows.Any(r => r[0] < 0))
                throw new InvalidOperationException($"row {rows.First(r => r[0] < 0)[0]} is negative");
            return ([.. rows.Select(r => new[] { r[0] + r[1] })], [.. rows.Select(_ => Array.Empty<float>())]);
        }

        using (var batches = new ScoringBatches(data, 0, 4, Score))
        using (var cursor = data.GetRowCursor([]))
        {
            var id = cursor.GetIdGetter();
            DataViewRowId rowId = default;
            var seen = new List<float>();
            while (cursor.MoveNext())
            {
                id(ref rowId);
                if (values[cursor.Position] < 0)
                {
                    var error = Assert.ThrowsExactly<InvalidOperationException>(() => batches.TryGet(rowId, out _, out _));
                    Assert.AreEqual("row -3 is negative", error.Message);
                    continue;
                }
                Assert.IsTrue(batches.TryGet(rowId, out var scores, out _));
                seen.Add(scores[0]);
            }
            CollectionAssert.AreEqual(values.Where(v => v > 0).Select(v => 11 * v).ToArray(), seen.ToArray(), "every other row, in order");
            // Row 0 alone; rows 1-4 together fail and are scored one by one; rows 5-6 together.
            CollectionAssert.AreEqual(new[] { 1, 4, 1, 1, 1, 1, 2 }, calls.ToArray());
            Assert.AreEqual(2, batches.RowsInBatches);
        }

        // A cursor in another order (as a shuffled one): batching stops, the caller scores in place.
        using (var batches = new ScoringBatches(data, 0, 2, Score))
        {
            calls.Clear();
            Assert.IsFalse(batches.TryGet(new DataViewRowId(6, 0), out _, out _), "row 6 is not among the next rows of a fresh cursor");
            Assert.IsFalse(batches.TryGet(new DataViewRowId(0, 0), out _, out _), "batching stays off for the rest of the cursor");
            Assert.IsEmpty(calls);
        }
    }

    private static string _folder = null!;

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        _folder = TestVideos.NewFolder("scoringbatch");
        for (int i = 0; i < 5; i++)
            TestVideos.WriteRamp(_folder, $"v{i}", OnnxScoringTests.Frames, 20 * (i + 1));
        File.WriteAllText(Path.Combine(_folder, "text.mp4"), "not a video\n");
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static IDataView Videos(MLContext mlContext, DecodeErrorPolicy policy, params string[] names)
    {
        var paths = TestVideos.Paths(mlContext, names);
        return mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath",
            OutputColumnName = "Frames",
            VideoFolder = _folder,
            FramesPerClip = OnnxScoringTests.Frames,
            FrameSize = OnnxScoringTests.Size,
            Resize = ResizeMode.Stretch,
            Layout = ClipLayout.Cthw,
            OnDecodeError = policy,
        }).Fit(paths).Transform(paths);
    }

    /// <summary>Reads every row's scores through a cursor; a row that throws gets its exception instead.</summary>
    private static List<object> ReadAll(IDataView scored)
    {
        var column = scored.Schema["Score"];
        var result = new List<object>();
        using var cursor = scored.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            try
            {
                getter(ref value);
                result.Add(value.DenseValues().ToArray());
            }
            catch (VideoDecodingException e)
            {
                result.Add(e);
            }
        }
        return result;
    }

    [TestMethod]
    public void AVideoThatDoesNotDecode_FailsOnItsOwnRow_AndItsBatchMatesAreScored()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Videos(mlContext, DecodeErrorPolicy.Throw, "v0.mp4", "v1.mp4", "text.mp4", "v2.mp4", "v3.mp4");
        using var model = OnnxScoringTests.TinyTsm(mlContext);
        model.ScoringBatchRows = 1;
        var alone = ReadAll(model.Transform(data));
        model.ScoringBatchRows = 3;
        long before = model.Forwards;
        var batched = ReadAll(model.Transform(data));
        Assert.AreEqual(3, model.Forwards - before, "row 0 alone, row 1 (its batch ends at the failed row), rows 3-4");

        Assert.HasCount(5, batched);
        var error = batched[2] as VideoDecodingException;
        Assert.IsNotNull(error, "row 2 fails");
        Assert.AreEqual(2L, error.RowIndex);
        Assert.AreEqual(Path.Combine(_folder, "text.mp4"), error.VideoPath);
        Assert.IsInstanceOfType<VideoDecodingException>(alone[2]);
        int[] good = [0, 1, 3, 4];
        AssertClose([.. good.Select(r => (float[])alone[r])], [.. good.Select(r => (float[])batched[r])], "TSM over videos, 3 rows per forward");

        // With OnDecodeError = Skip the source drops rows in every cursor's filter: a second cursor would decode twice, so
        // the rows are scored one by one.
        var skipping = Videos(mlContext, DecodeErrorPolicy.Skip, "v0.mp4", "text.mp4", "v1.mp4");
        before = model.Forwards;
        Assert.HasCount(2, ReadAll(model.Transform(skipping)));
        Assert.AreEqual(2, model.Forwards - before);
    }

    [TestMethod]
    public void ACursorDisposedEarly_LeavesNoDecoderOrWorkerRunning()
    {
        var mlContext = new MLContext(seed: 1);
        var data = Videos(mlContext, DecodeErrorPolicy.Throw, "v0.mp4", "v1.mp4", "v2.mp4", "v3.mp4", "v4.mp4");
        using var model = OnnxScoringTests.TinyTsm(mlContext);
        model.ScoringBatchRows = 4;
        var scored = model.Transform(data);
        var column = scored.Schema["Score"];
        using (var cursor = scored.GetRowCursor([column]))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(column);
            var value = default(VBuffer<float>);
            for (int i = 0; i < 2; i++)
            {
                Assert.IsTrue(cursor.MoveNext());
                getter(ref value);
            }
        }
        Assert.AreEqual(0, ClipReadAhead.RunningWorkers);
        Assert.AreEqual(0, FfmpegProcess.Running);
        Assert.AreEqual(0, TestVideos.ChildDecoders(), "no ffmpeg/ffprobe child may outlive the cursor");
    }
}
