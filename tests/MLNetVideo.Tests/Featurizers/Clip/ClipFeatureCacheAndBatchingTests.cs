using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Featurizers.Clip;

/// <summary>FeaturizeVideoWithClip's on-disk feature cache (hits skip the tower, options change the key, damaged files are
/// recomputed) and its batching of several rows per forward.</summary>
[TestClass]
[DoNotParallelize]
public sealed class ClipFeatureCacheAndBatchingTests
{
    private static ClipFeaturizingEstimator.Options Options(string? cache = null, int rowsPerBatch = 1, int framesPerBatch = 64) => new()
    {
        InputLayout = ClipFrameLayout.Cthw,
        Variant = ClipVisionVariant.Tiny,
        LayersKept = 2,
        Device = "cpu",
        Seed = 4,
        CacheFolder = cache,
        RowsPerBatch = rowsPerBatch,
        FramesPerBatch = framesPerBatch,
    };

    private static float[][] Read(IDataView view)
        => view.GetColumn<VBuffer<float>>("ClipFeatures").Select(v => v.DenseValues().ToArray()).ToArray();

    [TestMethod]
    public void SecondFit_ReadsTheCache_BitIdentical_WithoutRunningTheTower()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(3, seed: 1, frames: 4), frames: 4);

        float[][] first;
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(Options(cache)).Fit(data))
        {
            first = Read(model.Transform(data));
            Assert.AreEqual(3, model.EncoderForwards);
            Assert.AreEqual(0, model.CacheHits);
        }
        Assert.AreEqual(3, Directory.EnumerateFiles(cache, "*.clipfeat", SearchOption.AllDirectories).Count());

        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(Options(cache)).Fit(data))
        {
            var second = Read(model.Transform(data));
            Assert.AreEqual(0, model.EncoderForwards, "the tower ran although every clip was cached");
            Assert.AreEqual(3, model.CacheHits);
            for (int i = 0; i < first.Length; i++)
                CollectionAssert.AreEqual(first[i], second[i], $"row {i}");
        }

        // Any option that changes the features changes the key.
        var changed = new List<Action<ClipFeaturizingEstimator.Options>>
        {
            o => o.LayersKept = 1,
            o => o.IncludeAttention = false,
            o => o.Seed = 5,
        };
        foreach (var change in changed)
        {
            var options = Options(cache);
            change(options);
            using var model = mlContext.Transforms.FeaturizeVideoWithClip(options).Fit(data);
            _ = Read(model.Transform(data));
            Assert.AreEqual(0, model.CacheHits);
            Assert.AreEqual(3, model.EncoderForwards);
        }

        // A different clip misses too.
        var other = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 9, frames: 4), frames: 4);
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(Options(cache)).Fit(other))
        {
            _ = Read(model.Transform(other));
            Assert.AreEqual(0, model.CacheHits);
        }
        Assert.AreEqual(3 + 3 * 3 + 1, ClipFeatureCache.Clear(cache), "files: 3 first + 3×3 changed options + 1 other clip");
    }

    [TestMethod]
    public void DamagedCacheFile_IsDetected_AndRecomputed()
    {
        using var folder = new TempFolder();
        string cache = folder.File("cache");
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 1, frames: 4), frames: 4);
        float[][] original;
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(Options(cache)).Fit(data))
            original = Read(model.Transform(data));
        var files = Directory.EnumerateFiles(cache, "*.clipfeat", SearchOption.AllDirectories).Order().ToArray();
        Assert.AreEqual(2, files.Length);

        var flipped = File.ReadAllBytes(files[0]);
        flipped[flipped.Length / 2] ^= 0x40;                      // one payload bit
        File.WriteAllBytes(files[0], flipped);
        var truncated = File.ReadAllBytes(files[1]);
        File.WriteAllBytes(files[1], truncated[..(truncated.Length - 7)]);

        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(Options(cache)).Fit(data))
        {
            var again = Read(model.Transform(data));
            Assert.AreEqual(2, model.CacheCorruptions);
            Assert.AreEqual(0, model.CacheHits);
            Assert.AreEqual(2, model.EncoderForwards);
            for (int i = 0; i < original.Length; i++)
                CollectionAssert.AreEqual(original[i], again[i], $"row {i}");
        }
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(Options(cache)).Fit(data))
        {
            _ = Read(model.Transform(data));
            Assert.AreEqual(2, model.CacheHits, "the recomputed features were written back");
            Assert.AreEqual(0, model.CacheCorruptions);
        }
    }

    [TestMethod]
    public void RowsPerBatch_EncodesSeveralClipsPerForward_WithTheSameFeatures()
    {
        var mlContext = new MLContext(seed: 1);
        var data = SyntheticClips.Load(mlContext, SyntheticClips.Motion(10, seed: 1, frames: 4), frames: 4);
        using var single = mlContext.Transforms.FeaturizeVideoWithClip(Options(rowsPerBatch: 1)).Fit(data);
        using var batched = mlContext.Transforms.FeaturizeVideoWithClip(Options(rowsPerBatch: 4)).Fit(data);
        var expected = Read(single.Transform(data));
        var actual = Read(batched.Transform(data));
        Assert.AreEqual(10, single.EncoderForwards);
        Assert.AreEqual(3, batched.EncoderForwards, "10 clips, 4 per forward → 3 forwards");
        Assert.AreEqual(10, actual.Length);
        for (int r = 0; r < expected.Length; r++)
            for (int i = 0; i < expected[r].Length; i++)
                Assert.IsTrue(Math.Abs(expected[r][i] - actual[r][i]) <= 1e-5 * (1 + Math.Abs(expected[r][i])), $"row {r} value {i}: {actual[r][i]} vs {expected[r][i]}");

        // FramesPerBatch still bounds one forward: 4 clips × 4 frames in chunks of 6 → 3 forwards per batch of rows.
        using var chunked = mlContext.Transforms.FeaturizeVideoWithClip(Options(rowsPerBatch: 4, framesPerBatch: 6)).Fit(data);
        var chunkedValues = Read(chunked.Transform(data));
        Assert.AreEqual(3 + 3 + 2, chunked.EncoderForwards);
        for (int r = 0; r < expected.Length; r++)
            for (int i = 0; i < expected[r].Length; i++)
                Assert.IsTrue(Math.Abs(expected[r][i] - chunkedValues[r][i]) <= 1e-5 * (1 + Math.Abs(expected[r][i])));

        // A row-by-row consumer (PredictionEngine-style single rows) still gets the right features.
        var rowMapper = batched.GetRowToRowMapper(data.Schema);
        using var cursor = data.GetRowCursor(data.Schema);
        Assert.IsTrue(cursor.MoveNext());
        using var row = rowMapper.GetRow(cursor, rowMapper.OutputSchema.Where(c => c.Name == "ClipFeatures"));
        VBuffer<float> value = default;
        row.GetGetter<VBuffer<float>>(rowMapper.OutputSchema["ClipFeatures"])(ref value);
        var first = value.DenseValues().ToArray();
        for (int i = 0; i < first.Length; i++)
            Assert.IsTrue(Math.Abs(expected[0][i] - first[i]) <= 1e-5 * (1 + Math.Abs(expected[0][i])));
    }

    [TestMethod]
    public void ShuffledCursor_FallsBackToOneClipAtATime_WithCorrectFeatures()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.Cache(SyntheticClips.Load(mlContext, SyntheticClips.Motion(6, seed: 1, frames: 4), frames: 4));
        Assert.IsTrue(data.CanShuffle);
        using var single = mlContext.Transforms.FeaturizeVideoWithClip(Options(rowsPerBatch: 1)).Fit(data);
        using var batched = mlContext.Transforms.FeaturizeVideoWithClip(Options(rowsPerBatch: 3)).Fit(data);
        var expected = Read(single.Transform(data));
        var view = batched.Transform(data);
        var columns = new[] { view.Schema["ClipFeatures"], view.Schema["Label"] };
        using var cursor = view.GetRowCursor(columns, new Random(3));
        var idGetter = cursor.GetIdGetter();
        var getter = cursor.GetGetter<VBuffer<float>>(view.Schema["ClipFeatures"]);
        var byId = new Dictionary<DataViewRowId, float[]>();
        using (var plain = data.GetRowCursor([]))
        {
            var plainId = plain.GetIdGetter();
            int index = 0;
            while (plain.MoveNext())
            {
                DataViewRowId id = default;
                plainId(ref id);
                byId[id] = expected[index++];
            }
        }
        int rows = 0;
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            DataViewRowId id = default;
            idGetter(ref id);
            getter(ref value);
            var want = byId[id];
            var got = value.DenseValues().ToArray();
            for (int i = 0; i < want.Length; i++)
                Assert.IsTrue(Math.Abs(want[i] - got[i]) <= 1e-5 * (1 + Math.Abs(want[i])), $"row {id} value {i}");
            rows++;
        }
        Assert.AreEqual(6, rows);
    }

    private sealed class VideoRow
    {
        public float[] Frames { get; set; } = [];
        public string VideoPath { get; set; } = "";
    }

    private static IDataView VideoRows(MLContext mlContext, IReadOnlyList<float[]> clips, IReadOnlyList<string> paths)
    {
        var definition = SchemaDefinition.Create(typeof(VideoRow));
        definition[nameof(VideoRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 4, 32, 32);
        return mlContext.Data.LoadFromEnumerable(clips.Select((c, i) => new VideoRow { Frames = c, VideoPath = paths[i] }).ToList(), definition);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4)]
    public void FileKeyedCache_HitNeedsNeitherClipNorDecode_AndFollowsFileContentAndSampling(int rowsPerBatch)
    {
        using var folder = new TempFolder();
        string videos = folder.File("videos");
        Directory.CreateDirectory(videos);
        var names = new[] { "a.mp4", "b.mp4", "c.mp4" };
        var random = new Random(5);
        foreach (var name in names)
        {
            var bytes = new byte[1000];
            random.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(videos, name), bytes);
        }
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.Motion(3, seed: 1, frames: 4).Select(r => r.Frames).ToList();
        var zeros = clips.Select(c => new float[c.Length]).ToList();
        var sampling = new VideoFrameLoadingEstimator.Options { FramesPerClip = 4, FrameSize = 32, VideoFolder = videos };
        ClipFeaturizingEstimator.Options FileKeyed()
        {
            var o = Options(folder.File("cache"), rowsPerBatch);
            o.CacheVideoPathColumnName = "VideoPath";
            o.CacheVideoSampling = sampling;
            return o;
        }

        var real = VideoRows(mlContext, clips, names);
        float[][] first;
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(FileKeyed()).Fit(real))
        {
            first = Read(model.Transform(real));
            Assert.IsTrue(model.EncoderForwards > 0);
        }

        // Same files, blank clips: every row is a hit, so the (wrong) clips are never looked at.
        var blank = VideoRows(mlContext, zeros, names);
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(FileKeyed()).Fit(blank))
        {
            var again = Read(model.Transform(blank));
            Assert.AreEqual(0, model.EncoderForwards);
            Assert.AreEqual(3, model.CacheHits);
            for (int i = 0; i < first.Length; i++)
                CollectionAssert.AreEqual(first[i], again[i], $"row {i}");
        }

        // A changed file misses (its row is computed from the blank clip); the others still hit.
        File.AppendAllText(Path.Combine(videos, "b.mp4"), "edited");
        float[][] afterEdit;
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(FileKeyed()).Fit(blank))
        {
            afterEdit = Read(model.Transform(blank));
            Assert.AreEqual(2, model.CacheHits);
            Assert.AreEqual(1, model.EncoderForwards);
        }
        CollectionAssert.AreEqual(first[0], afterEdit[0]);
        CollectionAssert.AreNotEqual(first[1], afterEdit[1]);

        // Different sampling options miss.
        sampling.FrameInterval = 3;
        using (var model = mlContext.Transforms.FeaturizeVideoWithClip(FileKeyed()).Fit(real))
        {
            _ = Read(model.Transform(real));
            Assert.AreEqual(0, model.CacheHits);
        }

        // Random (training-mode) sampling cannot be keyed by file.
        sampling.Mode = VideoLoadingMode.Training;
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => mlContext.Transforms.FeaturizeVideoWithClip(FileKeyed()));
        StringAssert.Contains(e.Message, "Inference");
    }
}
