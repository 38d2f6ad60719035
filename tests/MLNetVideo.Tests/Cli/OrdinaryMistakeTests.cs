using System.Diagnostics;
using System.Text.Json;
using MLNetVideo.Cli;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Cli;

/// <summary>
/// Issue 18, item 4: ordinary mistakes get one clear line and the right exit code: a folder with no usable videos, a device
/// the build cannot use, a video that cannot be decoded (<c>--on-error fail|skip</c>, named by its path, never by an internal
/// row number), and Ctrl+C during training (the previous model stays, no temp file is left).
/// </summary>
[TestClass, DoNotParallelize]
public sealed class OrdinaryMistakeTests
{
    private static TempFolder s_folder = null!;
    private static string s_data = null!;
    private static string s_broken = null!;
    private static string s_brokenVideo = null!;
    private static string s_model = null!;
    private static (int Code, string Out, string Error) s_train;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        s_folder = new TempFolder("mlnv-mistakes");
        s_data = s_folder.File("data");
        SyntheticActionVideos.Generate(s_data, new SyntheticActionOptions
        {
            VideosPerClass = 3, Classes = [SyntheticAction.Left, SyntheticAction.Right], Frames = 8, Size = 32, Seed = 7,
        });
        // The same set plus one file that is not a video.
        s_broken = s_folder.File("broken");
        foreach (var file in Directory.EnumerateFiles(s_data, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(s_broken, Path.GetRelativePath(s_data, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
        s_brokenVideo = Path.Combine(s_broken, "left", "zz-not-a-video.mp4");
        File.WriteAllText(s_brokenVideo, "this is text, not an mp4");
        s_model = s_folder.File("model/model.zip");
        s_train = CliRun.Run("train", "--data", s_data, "--model", "s3dg", "--epochs", "1", "--test-fraction", "0", "--output", s_model, "--device", "cpu");
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder?.Dispose();

    private static void AssertOneErrorLine((int Code, string Out, string Error) run, int code = CliApp.InputError)
    {
        Assert.AreEqual(code, run.Code, run.Error + run.Out);
        var lines = run.Error.Trim().Split('\n');
        Assert.HasCount(1, lines, run.Error);
        StringAssert.StartsWith(lines[0], "error: ");
        Assert.DoesNotContain("   at ", run.Error, "no stack trace for a user's mistake");
        Assert.DoesNotContain("Exception", run.Error);
    }

    [TestMethod]
    public void Train_OnAnEmptyFolder_OrClassFoldersWithoutVideos_OrTooFewToSplit_IsOneLineExit2()
    {
        string empty = s_folder.File("empty");
        Directory.CreateDirectory(empty);
        var run = CliRun.Run("train", "--data", empty, "--model", "s3dg", "--output", s_folder.File("x/model.zip"), "--device", "cpu");
        AssertOneErrorLine(run);
        StringAssert.Contains(run.Error, empty);

        string noVideos = s_folder.File("no-videos");
        Directory.CreateDirectory(Path.Combine(noVideos, "left"));
        Directory.CreateDirectory(Path.Combine(noVideos, "right"));
        File.WriteAllText(Path.Combine(noVideos, "left", "notes.txt"), "not a video");
        run = CliRun.Run("train", "--data", noVideos, "--model", "s3dg", "--output", s_folder.File("x/model.zip"), "--device", "cpu");
        AssertOneErrorLine(run);
        StringAssert.Contains(run.Error, "No videos");

        // One video per class: the held-out quarter leaves a single class to train on (used to be exit 3 with a stack trace).
        string one = s_folder.File("one-per-class");
        foreach (var label in new[] { "left", "right" })
        {
            Directory.CreateDirectory(Path.Combine(one, label));
            File.Copy(Path.Combine(s_data, label, "000.mp4"), Path.Combine(one, label, "000.mp4"));
        }
        run = CliRun.Run("train", "--data", one, "--model", "s3dg", "--epochs", "1", "--output", s_folder.File("x/model.zip"), "--device", "cpu");
        AssertOneErrorLine(run);
        StringAssert.Contains(run.Error, "--test-fraction");
        Assert.DoesNotContain("Training s3dg", run.Out);
    }

    [TestMethod]
    public void Train_WithADeviceThisBuildCannotUse_FailsBeforeDecoding()
    {
        if (TorchSharp.torch.cuda.is_available())
            Assert.Inconclusive("CUDA is available here, so --device cuda is a valid choice.");
        var watch = Stopwatch.StartNew();
        var run = CliRun.Run("train", "--data", s_data, "--model", "s3dg", "--output", s_folder.File("cuda/model.zip"), "--device", "cuda");
        AssertOneErrorLine(run);
        StringAssert.StartsWith(run.Error, "error: --device cuda:");
        Assert.DoesNotContain("decoding", run.Out, "the device is checked before any video is decoded");
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");

        run = CliRun.Run("train", "--data", s_data, "--model", "s3dg", "--output", s_folder.File("cuda/model.zip"), "--device", "gpu0");
        AssertOneErrorLine(run);
        StringAssert.Contains(run.Error, "\"gpu0\" is not a device");
    }

    [TestMethod]
    public void Predict_AnUndecodableVideo_FailNamesTheFile_SkipListsItAndGoesOn()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error + s_train.Out);
        var fail = CliRun.Run("predict", "--model", s_model, s_broken);
        AssertOneErrorLine(fail);
        StringAssert.Contains(fail.Error, $"could not decode '{s_brokenVideo}'");
        StringAssert.Contains(fail.Error, "--on-error skip");
        Assert.DoesNotContain("Row ", fail.Error, "the file is named by its path, not an internal row number");

        var skip = CliRun.Run("predict", "--model", s_model, "--on-error", "skip", s_broken);
        Assert.AreEqual(0, skip.Code, skip.Error + skip.Out);
        Assert.AreEqual(6, skip.Out.Split('\n').Count(l => l.Contains('\t')), skip.Out);
        StringAssert.Contains(skip.Error, "skipped 1 of 7 videos");
        StringAssert.Contains(skip.Error, $"{s_brokenVideo}: InvalidData");

        var bad = CliRun.Run("predict", "--model", s_model, "--on-error", "ignore", s_broken);
        Assert.AreEqual(CliApp.UsageError, bad.Code, bad.Error);
    }

    [TestMethod]
    public void Evaluate_AnUndecodableVideo_FailNamesTheFile_SkipComputesMetricsOverTheRest()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error + s_train.Out);
        var fail = CliRun.Run("evaluate", "--model", s_model, "--data", s_broken, "--report", s_folder.File("eval-fail"));
        AssertOneErrorLine(fail);
        StringAssert.Contains(fail.Error, $"could not decode '{s_brokenVideo}' (InvalidData)");
        Assert.DoesNotContain("Row ", fail.Error);
        Assert.IsFalse(File.Exists(Path.Combine(s_folder.File("eval-fail"), "metrics.json")));

        string report = s_folder.File("eval-skip");
        var skip = CliRun.Run("evaluate", "--model", s_model, "--data", s_broken, "--report", report, "--on-error", "skip");
        Assert.AreEqual(0, skip.Code, skip.Error + skip.Out);
        StringAssert.Contains(skip.Out, "6 videos: micro accuracy");
        StringAssert.Contains(skip.Error, "skipped 1 of 7 videos");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "metrics.json")));
        Assert.AreEqual(6, json.RootElement.GetProperty("evaluation").GetProperty("count").GetInt32());
        var skipped = json.RootElement.GetProperty("skipped").EnumerateArray().ToArray();
        Assert.HasCount(1, skipped);
        Assert.AreEqual(s_brokenVideo, skipped[0].GetProperty("path").GetString());
        StringAssert.StartsWith(skipped[0].GetProperty("reason").GetString(), "InvalidData");

        // The same six videos without the broken one give the same metrics.
        var clean = CliRun.Run("evaluate", "--model", s_model, "--data", s_data, "--report", s_folder.File("eval-clean"));
        Assert.AreEqual(0, clean.Code, clean.Error);
        using var cleanJson = JsonDocument.Parse(File.ReadAllText(Path.Combine(s_folder.File("eval-clean"), "metrics.json")));
        Assert.AreEqual(cleanJson.RootElement.GetProperty("evaluation").GetProperty("logLoss").GetDouble(),
            json.RootElement.GetProperty("evaluation").GetProperty("logLoss").GetDouble(), 1e-6);
    }

    [TestMethod, TestCategory(TestCategories.Process)]
    public void ConsumeExample_ReportsAnUndecodableVideo_AndClassifiesTheRest()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error + s_train.Out);
        var run = FirstHourSmokeTests.RunExample("Consume", s_model, s_broken);
        Assert.AreEqual(2, run.Code, run.Output);
        StringAssert.Contains(run.Output, $"{s_brokenVideo}: could not decode (InvalidData)");
        StringAssert.Contains(run.Output, "Classified 6 videos. 1 could not be decoded");
        Assert.DoesNotContain("Unhandled exception", run.Output);
    }

    [TestMethod]
    public void Train_CancelledDuringTraining_KeepsThePreviousModel_AndLeavesNoTempFile()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error + s_train.Out);
        string folder = s_folder.File("cancel");
        Directory.CreateDirectory(folder);
        string model = Path.Combine(folder, "model.zip");
        File.Copy(s_model, model);
        byte[] before = File.ReadAllBytes(model);

        using var cancel = new CancellationTokenSource();
        using var output = new TriggerWriter("epoch 1/", cancel.Cancel);   // Ctrl+C as soon as the first epoch is reported
        using var error = new StringWriter();
        int code = CliApp.Run(["train", "--data", s_data, "--model", "s3dg", "--epochs", "5", "--test-fraction", "0",
            "--output", model, "--device", "cpu"], output, error, cancel.Token);

        Assert.AreEqual(CliApp.Cancelled, code, error + output.ToString());
        Assert.AreEqual("error: cancelled; nothing was saved (a previous model file is unchanged).", error.ToString().Trim());
        Assert.DoesNotContain("epoch 2/5", output.ToString(), "training stops within one batch of the cancellation");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(model), "the previous model must stay as it was");
        CollectionAssert.AreEqual(new[] { "model.zip" }, Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).ToArray(),
            "no temp file, report or plot is left behind");
    }

    /// <summary>Captures output and calls an action the first time a line contains a text.</summary>
    private sealed class TriggerWriter(string text, Action action) : StringWriter
    {
        private bool _fired;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (!_fired && value is not null && value.Contains(text, StringComparison.Ordinal))
            {
                _fired = true;
                action();
            }
        }
    }
}
