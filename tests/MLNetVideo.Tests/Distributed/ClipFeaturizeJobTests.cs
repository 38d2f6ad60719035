using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Distributed;

/// <summary>A featurizing job fills the CLIP feature cache that FeaturizeVideoWithClip on one machine then reads.</summary>
[TestClass]
[DoNotParallelize]
public sealed class ClipFeaturizeJobTests
{
    [TestMethod]
    public async Task FeaturizeJob_WritesTheCache_ThatFeaturizeVideoWithClipReadsWithoutRunningTheTower()
    {
        using var work = new TempFolder("mlnv-clipjob");
        var videos = ClusterTestSupport.Videos(work.File("videos"), perClass: 2);
        var loader = ClusterTestSupport.Loader();
        loader.Layout = MLNetVideo.ClipLayout.Tchw;
        var clip = new ClipFeaturizingEstimator.Options
        {
            Variant = ClipVisionVariant.Tiny, LayersKept = 2, Seed = 4, Device = "cpu", CacheFolder = work.File("features"),
        };
        var job = VideoJob.FeaturizeClip(loader, clip, videos, work.File("out"), shardSize: 3);
        await using (var cluster = await ClusterTestSupport.StartAsync(2, work.File("state")))
        {
            var final = await VideoJobs.RunAsync(cluster.Client, job, pollInterval: TimeSpan.FromMilliseconds(100));
            Assert.AreEqual(8, final.Done);
            Assert.AreEqual(0, final.Failed);
        }
        var records = JobOutput.ReadResults(job.OutputFolder);
        Assert.IsTrue(records.All(r => r.Ok));
        CollectionAssert.AreEqual(new[] { 6, 8, 17, 64 }, records[0].FeatureShape, "[3·M, T, tokens, W] of the tiny tower");
        Assert.AreEqual(8, Directory.EnumerateFiles(clip.CacheFolder!, "*.clipfeat", SearchOption.AllDirectories).Count());

        // On one machine: the same options read every clip from the cache — no decoding, no forward pass.
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(videos.Select(v => new ClusterTestSupport.LabelledVideo { VideoPath = v }));
        var cached = mlContext.Transforms.LoadVideoFrames(loader)
            .Append(mlContext.Transforms.FeaturizeVideoWithClip(VideoJob.ClipCacheOptions(loader, clip))).Fit(data);
        var fromCache = Read(cached.Transform(data), clip.OutputColumnName);
        var featurizer = cached.LastTransformer;
        Assert.AreEqual(8, featurizer.CacheHits);
        Assert.AreEqual(0, featurizer.EncoderForwards, "the tower ran although the cluster had computed every clip");

        // …and what the cache holds is what the tower computes here.
        var uncachedOptions = VideoJob.ClipCacheOptions(loader, clip);
        uncachedOptions.CacheFolder = null;
        uncachedOptions.CacheVideoPathColumnName = null;
        uncachedOptions.CacheVideoSampling = null;
        var direct = Read(mlContext.Transforms.LoadVideoFrames(loader).Append(mlContext.Transforms.FeaturizeVideoWithClip(uncachedOptions)).Fit(data).Transform(data), clip.OutputColumnName);
        for (int i = 0; i < direct.Count; i++)
        {
            Assert.AreEqual(direct[i].Length, fromCache[i].Length);
            double max = direct[i].Zip(fromCache[i], (a, b) => Math.Abs(a - b)).Max();
            Assert.IsTrue(max <= 1e-5, $"video {i}: cached features differ by {max:E2}");
        }
        Assert.IsTrue(direct[0].Zip(direct[1], (a, b) => Math.Abs(a - b)).Max() > 1e-3, "different videos, different features");
    }

    private static List<float[]> Read(IDataView data, string column)
    {
        var result = new List<float[]>();
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        VBuffer<float> value = default;
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }
        return result;
    }
}
