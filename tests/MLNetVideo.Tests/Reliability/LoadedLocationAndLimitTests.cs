using System.Text;
using System.Text.Json.Nodes;
using Microsoft.ML;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 2: paths and limits inside a zip are not trusted. The rule (README, "Reliability"): a loaded model names
/// files, the loading application says where they are (<see cref="VideoModelLoadOptions"/>); a zip's limits can only
/// tighten the process's maxima (<see cref="VideoDecoding.Limits"/>); a referenced weights file must be a regular file in the
/// application's folder, within a size and a read-time bound. Each attack of the issue is reproduced here; the
/// zip-field mutation fuzz (<see cref="ModelZipMutationTests"/>) tries every other value.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class LoadedLocationAndLimitTests
{
    private static string _root = null!;
    private static string _videos = null!;
    private static string _trap = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _root = TestVideos.NewFolder("locations");
        _videos = Path.Combine(_root, "videos");
        _trap = Path.Combine(_root, "trap");
        Directory.CreateDirectory(_videos);
        Directory.CreateDirectory(_trap);
        TestVideos.WriteRamp(_videos, "good", 8, 30);
        TestVideos.WriteRamp(_root, "secret", 8, 30);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_root);

    /// <summary>Rewrites the zip's Options.json (and its manifest hash) with <paramref name="edit"/>.</summary>
    private static void EditOptions(string zip, Action<JsonObject> edit)
    {
        string entry = ModelZipTampering.EntriesEndingWith(zip, "/Options.json").Single();
        var json = JsonNode.Parse(ModelZipTampering.Read(zip, entry))!.AsObject();
        edit(json);
        ModelZipTampering.Replace(zip, entry, Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private static string SaveLoader(string zip, Action<VideoFrameLoadingEstimator.Options>? change = null)
    {
        var mlContext = new MLContext(seed: 1);
        var data = TestVideos.Paths(mlContext, "good.mp4");
        var options = new VideoFrameLoadingEstimator.Options
        {
            InputColumnName = "VideoPath", FramesPerClip = 2, FrameSize = 16, Resize = ResizeMode.Stretch, VideoFolder = _videos,
        };
        change?.Invoke(options);
        mlContext.Model.SaveAtomically(mlContext.Transforms.LoadVideoFrames(options).Fit(data), data.Schema, zip);
        return zip;
    }

    [TestMethod]
    public void VideoFolderAndAllowOutside_InTheZip_AreReplacedByTheApplications()
    {
        using var folder = new TempFolder();
        string zip = SaveLoader(folder.File("loader.zip"));
        EditOptions(zip, o =>
        {
            o["VideoFolder"] = "/";
            o["AllowPathsOutsideVideoFolder"] = true;
        });
        var mlContext = new MLContext();
        var loaded = (VideoFrameLoadingTransformer)mlContext.Model.Load(zip, new VideoModelLoadOptions { VideoFolder = _videos }, out _);
        Assert.AreEqual(_videos, loaded.GetOptions().VideoFolder);
        Assert.IsFalse(loaded.GetOptions().AllowPathsOutsideVideoFolder);
        Assert.IsTrue(TestVideos.ReadClips(loaded.Transform(TestVideos.Paths(mlContext, "good.mp4")))[0].Any(v => v > 0.05f));
        var escape = Assert.ThrowsExactly<VideoDecodingException>(() => TestVideos.ReadClips(loaded.Transform(TestVideos.Paths(mlContext, "../secret.mp4"))));
        Assert.AreEqual(VideoDecodingFailure.OutsideVideoFolder, escape.Failure);
        // Without a folder from the application, the zip's folder is not used either: paths are the application's own.
        var plain = (VideoFrameLoadingTransformer)mlContext.Model.Load(zip, out _);
        Assert.IsNull(plain.GetOptions().VideoFolder);
        Assert.IsFalse(plain.GetOptions().AllowPathsOutsideVideoFolder);
    }

    [TestMethod]
    public void LimitsInTheZip_OnlyTightenTheProcessMaxima()
    {
        using var folder = new TempFolder();
        string zip = SaveLoader(folder.File("loader.zip"));
        EditOptions(zip, o =>
        {
            o["MaxResolution"] = int.MaxValue;
            o["MaxFrames"] = int.MaxValue;
            o["MaxFileBytes"] = long.MaxValue;
            o["DecodeTimeout"] = "1.00:00:00";
        });
        var limits = VideoDecoding.Limits;
        var raised = ((VideoFrameLoadingTransformer)new MLContext().Model.Load(zip, new VideoModelLoadOptions(), out _)).GetOptions();
        Assert.AreEqual(limits.MaxResolution, raised.MaxResolution);
        Assert.AreEqual(limits.MaxFrames, raised.MaxFrames);
        Assert.AreEqual(limits.MaxFileBytes, raised.MaxFileBytes);
        Assert.AreEqual(limits.MaxDecodeTimeout, raised.DecodeTimeout);
        EditOptions(zip, o => o["MaxFrames"] = 5);
        var lowered = ((VideoFrameLoadingTransformer)new MLContext().Model.Load(zip, new VideoModelLoadOptions(), out _)).GetOptions();
        Assert.AreEqual(5, lowered.MaxFrames, "a zip may tighten a limit");

        // The process's maxima also bound estimators created in code, with a message that says where to raise them.
        VideoDecoding.Limits = limits with { MaxFrames = 100 };
        try
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.LoadVideoFrames(
                new VideoFrameLoadingEstimator.Options { MaxFrames = 1000 }));
            StringAssert.Contains(e.Message, "VideoDecoding.Limits.MaxFrames (100)");
            var clamped = ((VideoFrameLoadingTransformer)new MLContext().Model.Load(zip, new VideoModelLoadOptions(), out _)).GetOptions();
            Assert.AreEqual(5, clamped.MaxFrames);
        }
        finally
        {
            VideoDecoding.Limits = limits;
        }
        var clip = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MLContext().Transforms.LoadVideoFrames(
            new VideoFrameLoadingEstimator.Options { FramesPerClip = 32, FrameSize = 2560 }));
        StringAssert.Contains(clip.Message, "VideoDecoding.Limits.MaxClipBytes");
    }

    private static string SaveClip(string zip, Action<ClipFeaturizingEstimator.Options> change)
    {
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 1, frames: 2), frames: 2);
        var options = new ClipFeaturizingEstimator.Options { InputLayout = ClipFrameLayout.Cthw, Variant = ClipVisionVariant.Tiny, LayersKept = 2, Device = "cpu" };
        change(options);
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(options).Fit(clips);
        mlContext.Model.SaveAtomically(model, clips.Schema, zip);
        return zip;
    }

    [TestMethod]
    public void CacheFolderInTheZip_IsNeverWritten_TheApplicationsIs()
    {
        using var folder = new TempFolder();
        string trapCache = Path.Combine(_trap, "cache");
        string zip = SaveClip(folder.File("clip.zip"), o => o.CacheFolder = trapCache);
        var mlContext = new MLContext(seed: 1);
        var clips = SyntheticClips.Load(mlContext, SyntheticClips.Motion(2, seed: 1, frames: 2), frames: 2);
        using (var loaded = (ClipFeaturizingTransformer)mlContext.Model.Load(zip, new VideoModelLoadOptions(), out _))
        {
            Assert.HasCount(2, TestVideos.ReadClips(loaded.Transform(clips), "ClipFeatures"));
            Assert.AreEqual(0L, loaded.CacheHits);
        }
        Assert.IsFalse(Directory.Exists(trapCache), "the zip's cache folder was written");
        string allowed = folder.File("allowed-cache");
        using (var loaded = (ClipFeaturizingTransformer)mlContext.Model.Load(zip, new VideoModelLoadOptions { CacheFolder = allowed }, out _))
            TestVideos.ReadClips(loaded.Transform(clips), "ClipFeatures");
        Assert.HasCount(2, Directory.GetFiles(allowed, "*.clipfeat", SearchOption.AllDirectories));
        Assert.IsFalse(Directory.Exists(trapCache));
    }

    [TestMethod]
    public void WeightsPathInTheZip_AtADeviceFifoOrLinkOut_IsRefusedAtOnce()
    {
        using var folder = new TempFolder();
        string weights = TinyModels.WriteTinyClipWeights(folder.File("tiny.safetensors"));
        string zip = SaveClip(folder.File("clip.zip"), o => o.WeightsPath = weights);
        string appFolder = folder.File("app-weights");
        Directory.CreateDirectory(appFolder);
        var load = new VideoModelLoadOptions { WeightsFolder = appFolder };

        void Refused<T>(string why) where T : Exception
        {
            var watch = System.Diagnostics.Stopwatch.StartNew();
            var e = Assert.ThrowsExactly<T>(() => new MLContext().Model.Load(zip, load, out _));
            StringAssert.Contains(e.Message, why);
            Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
        }

        // The zip says /dev/zero: only the name "zero" is looked up, in the application's folder.
        EditOptions(zip, o => o["Options"]!["WeightsPath"] = "/dev/zero");
        Refused<FileNotFoundException>("'zero'");
        EditOptions(zip, o => o["Options"]!["WeightsPath"] = weights);
        if (!OperatingSystem.IsLinux())
            Assert.Inconclusive("FIFOs and /dev/zero are Linux here");
        // A link named like the weights, to a device outside the folder.
        File.CreateSymbolicLink(Path.Combine(appFolder, "tiny.safetensors"), "/dev/zero");
        Refused<InvalidDataException>("outside the folder");
        // A FIFO named like the weights: opening it would block forever.
        File.Delete(Path.Combine(appFolder, "tiny.safetensors"));
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Combine(appFolder, "tiny.safetensors")))
            mkfifo.WaitForExit();
        Refused<InvalidDataException>("not a regular file");
        // The real file loads.
        File.Delete(Path.Combine(appFolder, "tiny.safetensors"));
        File.Copy(weights, Path.Combine(appFolder, "tiny.safetensors"));
        using var loaded = (ClipFeaturizingTransformer)new MLContext().Model.Load(zip, load, out _);
        Assert.AreEqual(ClipFeaturizingTransformer.Sha256(weights), loaded.WeightsSha256);
        // And in code: an estimator never reads a device as weights.
        var device = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
        {
            Variant = ClipVisionVariant.Tiny, WeightsPath = "/dev/zero", LayersKept = 2,
        }).Fit(SyntheticClips.Load(new MLContext(), SyntheticClips.Motion(1, seed: 1, frames: 2), frames: 2)));
        StringAssert.Contains(device.Message, "not a regular file");
    }
}
