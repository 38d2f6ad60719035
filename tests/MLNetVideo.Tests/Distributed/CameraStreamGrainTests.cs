using Microsoft.ML;
using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Distributed.Streams;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.MoViNet;
using Orleans;
using Orleans.Streams;

namespace MLNetVideo.Tests.Distributed;

/// <summary>Camera streams as grains: equal to a local MoViNet session, published on an Orleans stream, surviving a silo
/// kill from the last persisted frame, and freeing their session when idle. Each test starts a cluster of silos (Process:
/// scripts/test.sh runs these in the second test host, which balances the two).</summary>
[TestClass, TestCategory(TestCategories.Process)]
[DoNotParallelize]
public sealed class CameraStreamGrainTests
{
    private const int Size = 32;
    private const int FrameFloats = 3 * Size * Size;
    private static TempFolder s_folder = null!;
    private static string s_model = null!;
    private static float[][] s_frames = null!;

    [ClassInitialize]
    public static void TrainModel(TestContext _)
    {
        s_folder = new TempFolder("mlnv-camera");
        var videos = ClusterTestSupport.Videos(Path.Combine(s_folder.Path, "videos"), perClass: 2);
        s_model = ClusterTestSupport.TrainStreamModel(s_folder.Path, videos);
        var random = new Random(9);
        s_frames = Enumerable.Range(0, 20).Select(_ => Enumerable.Range(0, FrameFloats).Select(_ => (float)random.NextDouble()).ToArray()).ToArray();
    }

    [ClassCleanup]
    public static void Delete() => s_folder?.Dispose();

    /// <summary>The uninterrupted reference: one local session on the same zip, one frame per push.</summary>
    private static float[][] LocalLogits()
    {
        var model = new MLContext(seed: 1).Model.Load(s_model, out _);
        using var stream = model.CreateStream();
        var result = s_frames.Select(f => stream.Push(f, Size, Size)).ToArray();
        (model as IDisposable)?.Dispose();
        return result;
    }

    private static CameraFrames Frames(int first, int count)
        => new() { FirstFrame = first, Pixels = s_frames.Skip(first).Take(count).SelectMany(f => f).ToArray(), Height = Size, Width = Size };

    [TestMethod]
    public async Task CameraGrain_PredictsLikeALocalSession_AndPublishesOnItsStream()
    {
        using var work = new TempFolder("mlnv-cam1");
        var expected = LocalLogits();
        await using var cluster = await ClusterTestSupport.StartAsync(2, work.File("state"));
        var received = new List<CameraPrediction>();
        var stream = cluster.Client.GetStreamProvider(MLNetVideoSilo.StreamProviderName).GetStream<CameraPrediction>(CameraStreams.PredictionStream("cam-1"));
        var subscription = await stream.SubscribeAsync((p, _) =>
        {
            lock (received) received.Add(p);
            return Task.CompletedTask;
        });
        var camera = cluster.Client.GetGrain<ICameraStreamGrain>("cam-1");
        await camera.Open(new CameraStreamSettings { ModelPath = s_model, PersistEveryFrames = 4 });

        var returned = new List<CameraPrediction>();
        for (int t = 0; t < 6; t++) returned.Add((await camera.Push(Frames(t, 1)))!);
        // Resending frames already consumed changes nothing; a gap is refused.
        Assert.IsNull(await camera.Push(Frames(2, 3)));
        var gap = await Assert.ThrowsExactlyAsync<ArgumentException>(() => camera.Push(Frames(8, 1)));
        StringAssert.Contains(gap.Message, "frames 6..7 are missing");

        for (int t = 0; t < 6; t++)
        {
            Assert.AreEqual(t, returned[t].FrameIndex);
            for (int c = 0; c < expected[t].Length; c++) Assert.AreEqual(expected[t][c], returned[t].Logits[c], 1e-5);
            Assert.AreEqual(1.0, returned[t].Probabilities.Sum(), 1e-4);
        }
        Assert.IsTrue(expected[5].Zip(expected[0], (a, b) => Math.Abs(a - b)).Max() > 1e-4, "the prediction moves with the frames");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && received.Count < 6) await Task.Delay(50);
        lock (received)
        {
            CollectionAssert.AreEqual(Enumerable.Range(0, 6).Select(i => (long)i).ToArray(), received.Select(p => p.FrameIndex).ToArray());
            CollectionAssert.AreEqual(returned[5].Logits, received[5].Logits);
        }
        var status = await camera.GetStatus();
        Assert.AreEqual(6, status.FramesSeen);
        Assert.AreEqual(4, status.PersistedFrames, "persisted every 4 frames");
        await subscription.UnsubscribeAsync();
        await camera.Close();
        Assert.IsFalse((await camera.GetStatus()).Open);
    }

    [TestMethod]
    public async Task SiloKilled_TheCameraResumesElsewhere_FromTheLastPersistedFrame_WithEqualPredictions()
    {
        using var work = new TempFolder("mlnv-cam2");
        var expected = LocalLogits();
        await using var cluster = await ClusterTestSupport.StartAsync(2, work.File("state"));
        var camera = cluster.Client.GetGrain<ICameraStreamGrain>("cam-kill");
        await camera.Open(new CameraStreamSettings { ModelPath = s_model, PersistEveryFrames = 4 });
        for (int t = 0; t < 10; t += 2) await camera.Push(Frames(t, 2));
        var before = await camera.GetStatus();
        Assert.AreEqual(10, before.FramesSeen);
        Assert.AreEqual(8, before.PersistedFrames);

        var victim = ClusterTestSupport.SiloNamed(cluster, before.Silo);
        await cluster.KillSiloAsync(victim);

        // The next call reactivates the grain on the surviving silo from storage: frames 8 and 9 were lost with the silo.
        CameraStreamStatus after = null!;
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
        while (true)
        {
            try
            {
                after = await camera.GetStatus();
                break;
            }
            catch (Exception e) when (e is OrleansException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
        Assert.AreNotSame(victim, ClusterTestSupport.SiloNamed(cluster, after.Silo));
        Assert.AreEqual(8, after.FramesSeen);
        Assert.AreEqual(8, after.PersistedFrames);

        // The client resends from the persisted frame; predictions equal the uninterrupted session's from there on.
        var resumed = await camera.Push(Frames(8, 12));
        Assert.AreEqual(19, resumed!.FrameIndex);
        for (int c = 0; c < expected[19].Length; c++) Assert.AreEqual(expected[19][c], resumed.Logits[c], 1e-5);
        var status = await camera.GetStatus();
        Assert.AreEqual(20, status.FramesSeen);
        Assert.AreEqual(20, status.PersistedFrames);
    }

    [TestMethod]
    public async Task IdleCamera_Deactivates_FreesItsSession_AndContinuesExactly()
    {
        using var work = new TempFolder("mlnv-cam3");
        var expected = LocalLogits();
        await using var cluster = await ClusterTestSupport.StartAsync(2, work.File("state"), cameraIdle: TimeSpan.FromSeconds(2));
        var camera = cluster.Client.GetGrain<ICameraStreamGrain>("cam-idle");
        await camera.Open(new CameraStreamSettings { ModelPath = s_model, PersistEveryFrames = 100 });
        await camera.Push(Frames(0, 5));
        var models = cluster.Silos.Select(s => ClusterTestSupport.SiloService<SiloModels>(cluster, s)).ToArray();
        Assert.AreEqual(1, models.Sum(m => m.OpenStreams));

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (models.Sum(m => m.OpenStreams) > 0 && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.AreEqual(0, models.Sum(m => m.OpenStreams), "the idle camera's session was freed");

        // Deactivation persisted all 5 frames (not only every 100): the stream continues exactly.
        var next = await camera.Push(Frames(5, 1));
        Assert.AreEqual(5, next!.FrameIndex);
        for (int c = 0; c < expected[5].Length; c++) Assert.AreEqual(expected[5][c], next.Logits[c], 1e-5);
    }
}
