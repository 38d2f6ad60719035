using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Tests.TestSupport;
using Orleans.TestingHost;

namespace MLNetVideo.Tests.Distributed;

/// <summary>Scoring an archive across silos: equal to a single-process Transform, every video exactly once even when a
/// silo dies mid-job, bad videos recorded, resumable from the output.</summary>
[TestClass]
[DoNotParallelize]
public sealed class VideoJobTests
{
    private static TempFolder s_folder = null!;
    private static IReadOnlyList<string> s_videos = null!;
    private static string s_model = null!;
    private static List<(string Label, float[] Scores)> s_expected = null!;

    public TestContext TestContext { get; set; } = null!;

    [ClassInitialize]
    public static void CreateVideosAndModel(TestContext _)
    {
        s_folder = new TempFolder("mlnv-jobs");
        // 16 videos: enough for 6 shards over 3 silos, a kill mid-job and > 5 distinct scores; fewer to generate, train on and score.
        s_videos = ClusterTestSupport.Videos(Path.Combine(s_folder.Path, "videos"), perClass: 4);
        s_model = ClusterTestSupport.TrainScorer(s_folder.Path, s_videos);
        s_expected = ClusterTestSupport.TransformInOneProcess(s_model, s_videos);
    }

    [ClassCleanup]
    public static void Delete() => s_folder?.Dispose();

    [TestMethod]
    public async Task ScoreJob_OnThreeSilos_EqualsTransformInOneProcess_AndRecordsBadVideos()
    {
        using var work = new TempFolder("mlnv-job");
        string garbage = work.File("garbage.mp4");
        File.WriteAllBytes(garbage, Enumerable.Range(0, 4000).Select(i => (byte)(i * 31)).ToArray());
        string missing = work.File("missing.mp4");
        var videos = s_videos.Take(10).Append(garbage).Concat(s_videos.Skip(10)).Append(missing).ToArray();
        var job = VideoJob.Score(s_model, videos, work.File("out"), shardSize: 3);
        await using var cluster = await ClusterTestSupport.StartAsync(3, work.File("state"));
        var reports = new List<VideoJobProgress>();

        var final = await VideoJobs.RunAsync(cluster.Client, job, new SyncProgress(reports.Add), TimeSpan.FromMilliseconds(100));

        int total = s_videos.Count + 2;
        Assert.AreEqual(18, total);
        Assert.IsTrue(final.Finished);
        Assert.AreEqual(total, final.Total);
        Assert.AreEqual(total, final.Done);
        Assert.AreEqual(2, final.Failed);
        Assert.IsNull(final.Error);
        Assert.IsTrue(reports.Count >= 2 && reports[0].Done < total, "progress was reported while the job ran");
        var records = JobOutput.ReadResults(job.OutputFolder);
        CollectionAssert.AreEqual(Enumerable.Range(0, total).ToArray(), records.Select(r => r.Index).ToArray(), "one record per video, in input order");
        CollectionAssert.AreEqual(videos, records.Select(r => r.Video).ToArray());
        var bad = records.Where(r => !r.Ok).ToArray();
        CollectionAssert.AreEqual(new[] { garbage, missing }, bad.Select(r => r.Video).ToArray());
        foreach (var r in bad)
        {
            StringAssert.Contains(r.Error, Path.GetFileName(r.Video), "the reason names the file");
            Assert.IsNull(r.Scores);
        }
        var good = records.Where(r => r.Ok).ToArray();
        Assert.AreEqual(s_videos.Count, good.Length);
        for (int i = 0; i < good.Length; i++)
        {
            Assert.AreEqual(s_videos[i], good[i].Video);
            Assert.AreEqual(s_expected[i].Label, good[i].Label, good[i].Video);
            Assert.AreEqual(s_expected[i].Scores.Length, good[i].Scores!.Length);
            for (int c = 0; c < s_expected[i].Scores.Length; c++)
                Assert.AreEqual(s_expected[i].Scores[c], good[i].Scores![c], 1e-5, $"{good[i].Video} class {c}");
            Assert.AreEqual(good[i].Label, good[i].Top![0].Label, "top-1 is the predicted label");
            Assert.AreEqual(3, good[i].Top!.Count);
        }
        // The scores are not all alike, and differ between videos by far more than the 1e-5 they are compared with (so a
        // record holding another video's scores would fail the comparison above).
        var firstScores = good.Select(r => r.Scores![0]).ToArray();
        Assert.IsTrue(firstScores.Distinct().Count() > 5);
        Assert.IsGreaterThan(1e-3f, firstScores.Max() - firstScores.Min(), "the scorer must tell the videos apart");

        // The work was spread: more than one silo committed shards, and each silo loaded the model at most once.
        var workers = cluster.Silos.Select(s => ClusterTestSupport.SiloService<VideoJobWorker>(cluster, s)).ToArray();
        var models = cluster.Silos.Select(s => ClusterTestSupport.SiloService<SiloModels>(cluster, s)).ToArray();
        TestContext.WriteLine($"shards per silo: {string.Join(", ", workers.Select(w => w.ShardsCommitted))}");
        Assert.AreEqual(job.ShardCount, workers.Sum(w => w.ShardsCommitted));
        Assert.IsTrue(workers.Count(w => w.ShardsCommitted > 0) >= 2, "shards ran on at least two silos");
        Assert.IsTrue(models.All(m => m.Loads <= 1), "the model is loaded once per silo");
    }

    [TestMethod]
    public async Task SiloKilledMidJob_EveryVideoAppearsExactlyOnce_WithTheSameScores()
    {
        using var work = new TempFolder("mlnv-kill");
        var job = new VideoJob
        {
            Kind = VideoJobKind.Score, ModelPath = s_model, Videos = [.. s_videos], OutputFolder = work.File("out"), ShardSize = 2,
            LeaseTime = TimeSpan.FromSeconds(3),
        };
        await using var cluster = await ClusterTestSupport.StartAsync(3, work.File("state"));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var run = VideoJobs.RunAsync(cluster.Client, job, null, TimeSpan.FromMilliseconds(100), cancellationToken: cancel.Token);

        // Kill (no graceful shutdown) the silo that hosts the coordinator, while it is computing a shard and after some
        // shards are in: its shard is lost with it, the coordinator reactivates elsewhere from storage and the output folder.
        var coordinator = cluster.Client.GetGrain<IVideoJobGrain>(job.JobId);
        InProcessSiloHandle? victim = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (victim is null && DateTime.UtcNow < deadline && !run.IsCompleted)
        {
            var p = await coordinator.GetProgress();
            var host = ClusterTestSupport.SiloNamed(cluster, p.CoordinatorSilo);
            if (p.Done >= 4 && ClusterTestSupport.SiloService<VideoJobWorker>(cluster, host).ActiveShards > 0) victim = host;
            else await Task.Delay(20);
        }
        Assert.IsNotNull(victim, "the job finished before a silo could be killed mid-job");
        int doneAtKill = (await coordinator.GetProgress()).Done;
        await cluster.KillSiloAsync(victim);

        var final = await run;
        Assert.IsTrue(final.Finished);
        Assert.IsTrue(doneAtKill < s_videos.Count, "killed mid-job");
        Assert.AreNotSame(victim, ClusterTestSupport.SiloNamed(cluster, final.CoordinatorSilo), "the coordinator moved to a surviving silo");
        Assert.AreEqual(s_videos.Count, final.Done);
        var records = JobOutput.ReadResults(job.OutputFolder);
        CollectionAssert.AreEqual(s_videos.ToArray(), records.Select(r => r.Video).ToArray(), "every video exactly once, in order");
        for (int i = 0; i < records.Count; i++)
        {
            Assert.IsTrue(records[i].Ok, records[i].Error);
            for (int c = 0; c < s_expected[i].Scores.Length; c++)
                Assert.AreEqual(s_expected[i].Scores[c], records[i].Scores![c], 1e-5);
        }
        TestContext.WriteLine($"done at kill {doneAtKill}; shards released {final.ShardsReleased}");
    }

    [TestMethod]
    public async Task RerunIntoTheSameFolder_ResumesFromTheCommittedShards_AndADifferentJobIsRefused()
    {
        using var work = new TempFolder("mlnv-resume");
        var videos = s_videos.Take(8).ToArray();
        var job = VideoJob.Score(s_model, videos, work.File("out"), shardSize: 2);
        await using var cluster = await ClusterTestSupport.StartAsync(2, work.File("state"));
        await VideoJobs.RunAsync(cluster.Client, job, pollInterval: TimeSpan.FromMilliseconds(100));
        var first = File.ReadAllText(Path.Combine(job.OutputFolder, JobOutput.ResultsFileName));

        // As if the job had been stopped after two shards: the other two shard files and the merged results are gone.
        File.Delete(Path.Combine(job.OutputFolder, JobOutput.ResultsFileName));
        File.Delete(Path.Combine(job.OutputFolder, "shards", "000001.jsonl"));
        File.Delete(Path.Combine(job.OutputFolder, "shards", "000003.jsonl"));
        var workers = cluster.Silos.Select(s => ClusterTestSupport.SiloService<VideoJobWorker>(cluster, s)).ToArray();
        int before = workers.Sum(w => w.ShardsCommitted);
        var resumed = await VideoJobs.RunAsync(cluster.Client, job, pollInterval: TimeSpan.FromMilliseconds(100));
        Assert.AreEqual(before + 2, workers.Sum(w => w.ShardsCommitted), "only the two missing shards were computed");
        Assert.AreEqual(8, resumed.Done);
        Assert.AreEqual(first, File.ReadAllText(Path.Combine(job.OutputFolder, JobOutput.ResultsFileName)));

        // A new cluster with an empty state folder knows nothing of the job: the output folder alone says what is left.
        File.Delete(Path.Combine(job.OutputFolder, JobOutput.ResultsFileName));
        File.Delete(Path.Combine(job.OutputFolder, "shards", "000002.jsonl"));
        await using var fresh = await ClusterTestSupport.StartAsync(2, work.File("state2"));
        var again = await VideoJobs.RunAsync(fresh.Client, job, pollInterval: TimeSpan.FromMilliseconds(100));
        var freshWorkers = fresh.Silos.Select(s => ClusterTestSupport.SiloService<VideoJobWorker>(fresh, s)).ToArray();
        Assert.AreEqual(1, freshWorkers.Sum(w => w.ShardsCommitted), "only the missing shard was computed");
        Assert.AreEqual(8, again.Done);
        Assert.AreEqual(first, File.ReadAllText(Path.Combine(job.OutputFolder, JobOutput.ResultsFileName)));
        int freshBefore = freshWorkers.Sum(w => w.ShardsCommitted);

        var other = VideoJob.Score(s_model, videos.Reverse().ToArray(), job.OutputFolder, shardSize: 2);
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => VideoJobs.RunAsync(fresh.Client, other, pollInterval: TimeSpan.FromMilliseconds(100)));
        StringAssert.Contains(e.Message, "holds the results of a different job");
        Assert.AreEqual(freshBefore, freshWorkers.Sum(w => w.ShardsCommitted), "the refused job computed nothing");
    }

    [TestMethod]
    public async Task ModelThatCannotLoad_StopsTheJob_WithTheReason()
    {
        using var work = new TempFolder("mlnv-badmodel");
        string zip = work.File("not-a-model.zip");
        File.WriteAllText(zip, "this is not a zip");
        var job = VideoJob.Score(zip, s_videos.Take(4).ToArray(), work.File("out"), shardSize: 2);
        await using var cluster = await ClusterTestSupport.StartAsync(2, work.File("state"));
        var e = await Assert.ThrowsExactlyAsync<InvalidOperationException>(() => VideoJobs.RunAsync(cluster.Client, job, pollInterval: TimeSpan.FromMilliseconds(100)));
        StringAssert.Contains(e.Message, "failed 3 times");
        StringAssert.Contains(e.Message, "not-a-model.zip");
        Assert.IsFalse(File.Exists(Path.Combine(job.OutputFolder, JobOutput.ResultsFileName)));
    }

    [TestMethod]
    public void Jobs_CheckTheirSettings()
    {
        using var work = new TempFolder("mlnv-checks");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => VideoJob.Score(s_model, [], work.File("out"))).Message, "no videos");
        StringAssert.Contains(Assert.ThrowsExactly<FileNotFoundException>(() => VideoJob.Score(work.File("none.zip"), ["a.mp4"], work.File("out"))).Message, "none.zip");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => VideoJob.Score(s_model, ["a.mp4"], work.File("out"), shardSize: 0)).Message, "ShardSize");
        var a = VideoJob.Score(s_model, ["a.mp4"], work.File("out"));
        var b = VideoJob.Score(s_model, ["b.mp4"], work.File("out"));
        Assert.AreEqual(a.JobId, b.JobId, "the job id follows the output folder (so a rerun resumes)");
        Assert.AreNotEqual(a.JobId, VideoJob.Score(s_model, ["a.mp4"], work.File("out2")).JobId);

        File.WriteAllLines(work.File("list.txt"), ["# videos", "x/a.mp4", "", "/abs/b.mp4"]);
        CollectionAssert.AreEqual(new[] { Path.Combine(work.Path, "x", "a.mp4"), "/abs/b.mp4" }, VideoList.FromFile(work.File("list.txt")).ToArray());
        var mlContext = new Microsoft.ML.MLContext(seed: 1);
        var view = mlContext.Data.LoadFromEnumerable(s_videos.Select(v => new ClusterTestSupport.LabelledVideo { VideoPath = v, Label = "x" }));
        CollectionAssert.AreEqual(s_videos.ToArray(), VideoList.FromDataView(view).ToArray());
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => VideoList.FromDataView(view, "Path")).Message, "Could not find input column 'Path'");
        var listed = VideoList.FromFolder(Path.Combine(s_folder.Path, "videos"));
        CollectionAssert.AreEquivalent(s_videos.ToArray(), listed.ToArray());
        CollectionAssert.AreEqual(listed.Order(StringComparer.Ordinal).ToArray(), listed.ToArray(), "a folder lists in ordinal order");
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool, after the run returns).</summary>
    private sealed class SyncProgress(Action<VideoJobProgress> report) : IProgress<VideoJobProgress>
    {
        public void Report(VideoJobProgress value) => report(value);
    }
}
