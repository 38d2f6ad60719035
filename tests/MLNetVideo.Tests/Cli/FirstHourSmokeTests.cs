using System.Text.Json;
using Microsoft.ML;
using MLNetVideo.Cli;
using MLNetVideo.Reporting;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Cli;

/// <summary>
/// Smoke tests of the user's first hour: every mlnetvideo command and every example (except MoViNetStreaming) runs on
/// tiny settings and its outputs exist and make sense. One tiny sample set and one tiny CLI-trained model are shared.
/// </summary>
[TestClass, TestCategory(TestCategories.Process)]
public sealed class FirstHourSmokeTests
{
    private static TempFolder s_folder = null!;
    private static string s_data = null!;
    private static string s_model = null!;
    private static (int Code, string Out, string Error) s_train;

    [ClassInitialize]
    public static void MakeSampleSetAndTrainOnce(TestContext context)
    {
        s_folder = new TempFolder("mlnetvideo-cli");
        s_data = s_folder.File("data");
        SyntheticActionVideos.Generate(s_data, new SyntheticActionOptions
        {
            VideosPerClass = 3,
            Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
            Frames = 8,
            Size = 32,
            Seed = 7,
        });
        s_model = s_folder.File("s3dg/model.zip");
        s_train = Cli("train", "--data", s_data, "--model", "s3dg", "--epochs", "2", "--test-fraction", "0.34", "--output", s_model, "--device", "cpu");
    }

    [ClassCleanup]
    public static void Cleanup() => s_folder?.Dispose();

    [TestMethod]
    public void Train_SavesLoadableZip_MetricsInRange_AndPlotsOfTheRightSize()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error + s_train.Out);
        StringAssert.Contains(s_train.Out, "epoch 2/2");
        StringAssert.Contains(s_train.Out, "clips/s");
        var loaded = new MLContext().Model.Load(s_model, out var schema);
        CollectionAssert.AreEquivalent(new[] { "down", "left", "right", "up" }, VideoEvaluation.ClassNames(loaded.GetOutputSchema(schema)));

        string folder = Path.GetDirectoryName(s_model)!;
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "metrics.json")));
        var root = json.RootElement;
        Assert.AreEqual("s3dg", root.GetProperty("model").GetString());
        Assert.AreEqual(2, root.GetProperty("epochs").GetArrayLength());
        foreach (var epoch in root.GetProperty("epochs").EnumerateArray())
            Assert.IsTrue(epoch.GetProperty("trainLoss").GetDouble() is > 0 and < 10, epoch.ToString());
        var evaluation = root.GetProperty("evaluation");
        int count = evaluation.GetProperty("count").GetInt32();
        Assert.IsTrue(count is >= 2 and <= 6, $"held-out videos: {count}");
        Assert.AreEqual(12 - count, root.GetProperty("trainCount").GetInt32());
        AssertMetricsInRange(evaluation, count);

        AssertPng(Path.Combine(folder, "confusion-matrix.png"), Plots.ConfusionMatrixWidth, Plots.ConfusionMatrixHeight);
        AssertPng(Path.Combine(folder, "training-curves.png"), Plots.CurvesWidth, Plots.CurvesHeight);
    }

    [TestMethod]
    public void Evaluate_ScoresEveryVideo_AndWritesJsonAndConfusionMatrix()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error);
        string report = s_folder.File("evaluation");
        var (code, output, error) = Cli("evaluate", "--model", s_model, "--data", s_data, "--report", report);
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "12 videos: micro accuracy");
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(report, "metrics.json")));
        var evaluation = json.RootElement.GetProperty("evaluation");
        Assert.AreEqual(12, evaluation.GetProperty("count").GetInt32());
        AssertMetricsInRange(evaluation, 12);
        AssertPng(Path.Combine(report, "confusion-matrix.png"), Plots.ConfusionMatrixWidth, Plots.ConfusionMatrixHeight);
    }

    [TestMethod]
    public void TrainAFNet_ThenPredict_FromTheSavedZip()
    {
        string model = s_folder.File("afnet/model.zip");
        string logs = s_folder.File("afnet/tensorboard");
        var train = Cli("train", "--data", s_data, "--model", "afnet", "--epochs", "1", "--test-fraction", "0.34", "--output", model, "--device", "cpu",
            "--log-dir", logs);
        Assert.AreEqual(0, train.Code, train.Error + train.Out);
        Assert.IsTrue(File.Exists(model));
        // --log-dir: one TensorBoard event file, the version record, AFNet's per-batch navigation diagnostics (AFNet/step/*)
        // and epoch 1 with AFNet's ratio among its scalars.
        var all = TensorBoardEvents.Read(Directory.GetFiles(logs, "events.out.tfevents.*").Single());
        Assert.IsTrue(all.Skip(1).Any(e => e.Summary.Value.Any(v => v.Tag == "AFNet/step/ArgmaxRatio")), "per-batch diagnostics");
        var events = all.Where(e => e.Summary is null || e.Summary.Value.All(v => !v.Tag.StartsWith("AFNet/step/", StringComparison.Ordinal))).ToList();
        Assert.HasCount(2, events);
        Assert.AreEqual(1L, events[1].Step);
        Assert.IsTrue(events[1].Summary.Value.Single(v => v.Tag == "AFNet/SelectedFrameRatio").SimpleValue is > 0 and <= 1);
        // The selected-frame ratio is reported per epoch: on the progress line and in metrics.json.
        StringAssert.Contains(train.Out, "SelectedFrameRatio");
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Path.GetDirectoryName(model)!, "metrics.json"))))
        {
            Assert.IsTrue(json.RootElement.GetProperty("evaluation").GetProperty("microAccuracy").GetDouble() is >= 0 and <= 1);
            var family = json.RootElement.GetProperty("epochs")[0].EnumerateObject().Single(p => p.Name.Equals("familyMetrics", StringComparison.OrdinalIgnoreCase)).Value;
            double ratio = family.EnumerateObject().Single(p => p.Name.Equals("SelectedFrameRatio", StringComparison.OrdinalIgnoreCase)).Value.GetDouble();
            Assert.IsTrue(ratio is > 0 and <= 1, $"selected-frame ratio {ratio}");
            double epochGflops = Number(family, "GFLOPsPerClip");
            // Issue 19: the held-out videos' selected ratio, accuracy and executed GFLOPs per clip.
            var heldOut = json.RootElement.EnumerateObject().Single(p => p.Name.Equals("heldOutFamilyMetrics", StringComparison.OrdinalIgnoreCase)).Value;
            double heldOutRatio = Number(heldOut, "SelectedFrameRatio"), gflops = Number(heldOut, "ExecutedGFLOPsPerClip");
            double gmacs = Number(heldOut, "ExecutedGMACsPerClip"), allFrames = Number(heldOut, "AllFramesGFLOPsPerClip");
            Assert.IsTrue(heldOutRatio is > 0 and <= 1, $"held-out ratio {heldOutRatio}");
            Assert.AreEqual(2 * gmacs, gflops, 1e-12);
            Assert.IsTrue(gflops > 0 && gflops <= allFrames + 1e-12, $"executed {gflops} GFLOPs, all frames {allFrames}");
            // The 8 frames of 32² of the CLI's AF-ResNet18 ×0.25 cost tens of MFLOPs; the epoch figure is the same cost model
            // applied to the training masks.
            Assert.IsTrue(epochGflops > 0.5 * gflops && epochGflops < 2 * allFrames, $"epoch {epochGflops}, held-out {gflops}");
            StringAssert.Contains(train.Out, "GFLOPsPerClip");
            StringAssert.Contains(train.Out, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"AFNet on the held-out videos: selected frame ratio {heldOutRatio:F3}, executed {gflops:G4} GFLOPs per clip"));
        }
        var one = Cli("predict", "--model", model, Path.Combine(s_data, "up", "000.mp4"));
        Assert.AreEqual(0, one.Code, one.Error);
        CollectionAssert.Contains(new[] { "down", "left", "right", "up" }, one.Out.Trim().Split('\t')[1], one.Out);
    }

    [TestMethod]
    public void Predict_PrintsLabelAndTop3_ForAFileAndAFolder()
    {
        Assert.AreEqual(0, s_train.Code, s_train.Error);
        string[] labels = ["down", "left", "right", "up"];
        var (code, output, error) = Cli("predict", "--model", s_model, s_data);
        Assert.AreEqual(0, code, error);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(12, lines.Length, output);
        foreach (var line in lines)
        {
            var fields = line.Split('\t');
            Assert.AreEqual(3, fields.Length, line);
            CollectionAssert.Contains(labels, fields[1], line);
            Assert.AreEqual(3, fields[2].Split(", ").Length, line);
        }
        var one = Cli("predict", "--model", s_model, Path.Combine(s_data, "up", "000.mp4"), "--top", "2");
        Assert.AreEqual(0, one.Code, one.Error);
        Assert.AreEqual(1, one.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.AreEqual(2, one.Out.Trim().Split('\t')[2].Split(", ").Length);
    }

    [TestMethod]
    public void SampleData_WritesFolderPerClass_AndKeepsAnExistingSet()
    {
        string folder = s_folder.File("sample");
        var (code, output, error) = Cli("sample-data", "--output", folder, "--videos-per-class", "1", "--classes", "left,growing", "--frames", "4", "--size", "16");
        Assert.AreEqual(0, code, error);
        Assert.IsTrue(File.Exists(Path.Combine(folder, "left", "000.mp4")), output);
        Assert.IsTrue(File.Exists(Path.Combine(folder, "growing", "000.mp4")), output);
        var again = Cli("sample-data", "--output", folder);
        Assert.AreEqual(0, again.Code);
        StringAssert.Contains(again.Out, "keeping them");
        Assert.AreEqual(2, Directory.GetFiles(folder, "*.mp4", SearchOption.AllDirectories).Length);
    }

    [TestMethod]
    public void Stream_PrintsTheRunningTop3_OfAMoViNetModel()
    {
        string model = s_folder.File("movinet/model.zip");
        var train = Cli("train", "--data", s_data, "--model", "movinet-a0", "--epochs", "1", "--test-fraction", "0", "--output", model, "--device", "cpu");
        Assert.AreEqual(0, train.Code, train.Error + train.Out);
        var (code, output, error) = Cli("stream", "--model", model, "--video", Path.Combine(s_data, "left", "001.mp4"), "--every", "4");
        Assert.AreEqual(0, code, error + output);
        var frames = output.Split('\n').Where(l => l.Contains("top-3:", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(2, frames.Length, output);     // 8 frames, a line every 4
        StringAssert.Contains(frames[1], "frame     8");
        Assert.AreEqual(3, frames[1][(frames[1].IndexOf("top-3:", StringComparison.Ordinal) + 6)..].Split(", ").Length);
    }

    [TestMethod]
    [DataRow("s3dg")]
    [DataRow("movinet-a0")]
    [DataRow("afnet")]
    public void Benchmark_ReportsParametersFlopsAndThroughput(string name)
    {
        string path = s_folder.File($"bench/{name}.json");
        var (code, output, error) = Cli("benchmark", "--model", name, "--clips", "8", "--epochs", "1", "--json", path, "--device", "cpu");
        Assert.AreEqual(0, code, error + output);
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        var r = json.RootElement;
        Assert.IsTrue(r.GetProperty("parameters").GetInt64() is > 10_000 and < 2_000_000, r.ToString());
        Assert.IsTrue(r.GetProperty("gflops").GetDouble() > 0, r.ToString());
        Assert.IsTrue(r.GetProperty("trainClipsPerSecond").GetDouble() > 0, r.ToString());
        Assert.IsTrue(r.GetProperty("inferenceClipsPerSecond").GetDouble() > 0, r.ToString());
    }

    [TestMethod]
    public void BadArguments_GiveOneClearLine_AndNonZeroExitCodes()
    {
        var missing = Cli("train", "--data", s_folder.File("nope"), "--model", "s3dg");
        Assert.AreEqual(CliApp.InputError, missing.Code);
        StringAssert.Contains(missing.Error, "does not exist");

        var unknown = Cli("train", "--data", s_data, "--model", "resnet9000");
        Assert.AreEqual(CliApp.InputError, unknown.Code);
        StringAssert.Contains(unknown.Error, "Unknown model 'resnet9000'");
        StringAssert.Contains(unknown.Error, "s3dg");

        string garbage = s_folder.File("garbage.zip");
        File.WriteAllText(garbage, "this is not a zip");
        var unreadable = Cli("predict", "--model", garbage, s_data);
        Assert.AreEqual(CliApp.InputError, unreadable.Code, unreadable.Error);
        StringAssert.Contains(unreadable.Error, "cannot load");

        var usage = Cli("train", "--model", "s3dg");
        Assert.AreEqual(CliApp.UsageError, usage.Code);
        StringAssert.Contains(usage.Error, "--data");

        Assert.AreEqual(0, s_train.Code, s_train.Error);
        var notMoViNet = Cli("stream", "--model", s_model, "--video", Path.Combine(s_data, "up", "000.mp4"));
        Assert.AreEqual(CliApp.InputError, notMoViNet.Code);
        StringAssert.Contains(notMoViNet.Error, "no MoViNet");
    }

    [TestMethod]
    public void Examples_ActionRecognitionThenConsume_TrainSaveAndPredict()
    {
        string output = s_folder.File("example");
        var train = RunExample("ActionRecognition", "--data", s_data, "--out", output, "--epochs", "2", "--videos-per-class", "3");
        Assert.AreEqual(0, train.Code, train.Output);
        StringAssert.Contains(train.Output, "micro accuracy");
        StringAssert.Contains(train.Output, "top-3:");
        Assert.IsTrue(File.Exists(Path.Combine(output, "model.zip")));
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json"))))
            AssertMetricsInRange(json.RootElement.GetProperty("evaluation"), json.RootElement.GetProperty("evaluation").GetProperty("count").GetInt32());
        AssertPng(Path.Combine(output, "confusion-matrix.png"), Plots.ConfusionMatrixWidth, Plots.ConfusionMatrixHeight);
        AssertPng(Path.Combine(output, "training-curves.png"), Plots.CurvesWidth, Plots.CurvesHeight);

        var consume = RunExample("Consume", Path.Combine(output, "model.zip"), Path.Combine(s_data, "left", "000.mp4"), s_data);
        Assert.AreEqual(0, consume.Code, consume.Output);
        StringAssert.Contains(consume.Output, "Classified 13 videos.");
        Assert.AreEqual(13, consume.Output.Split('\n').Count(l => l.Contains("top-3:", StringComparison.Ordinal)), consume.Output);
    }

    [TestMethod]
    public void Examples_ClipEvl_RunsOnATinyRandomClip_AndSaysSo()
    {
        string output = s_folder.File("clip-evl");
        var run = RunExample("ClipEvl", "--data", s_data, "--out", output, "--epochs", "1");
        Assert.AreEqual(0, run.Code, run.Output);
        StringAssert.Contains(run.Output, "TINY RANDOMLY INITIALISED CLIP");
        Assert.IsTrue(new MLContext().Model.Load(Path.Combine(output, "model.zip"), out _) is not null);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "metrics.json")));
        AssertMetricsInRange(json.RootElement.GetProperty("evaluation"), json.RootElement.GetProperty("evaluation").GetProperty("count").GetInt32());
        AssertPng(Path.Combine(output, "training-curves.png"), Plots.CurvesWidth, Plots.CurvesHeight);
    }

    private static void AssertMetricsInRange(JsonElement evaluation, int count)
    {
        foreach (var name in new[] { "microAccuracy", "macroAccuracy", "topKAccuracy" })
            Assert.IsTrue(evaluation.GetProperty(name).GetDouble() is >= 0 and <= 1, $"{name}: {evaluation}");
        Assert.IsTrue(evaluation.GetProperty("topKAccuracy").GetDouble() >= evaluation.GetProperty("microAccuracy").GetDouble());
        Assert.IsTrue(evaluation.GetProperty("logLoss").GetDouble() is >= 0 and < 50, evaluation.ToString());
        Assert.AreEqual(4, evaluation.GetProperty("classNames").GetArrayLength());
        Assert.AreEqual(4, evaluation.GetProperty("perClass").GetArrayLength());
        int sum = evaluation.GetProperty("confusionMatrix").EnumerateArray().Sum(row => row.EnumerateArray().Sum(c => c.GetInt32()));
        Assert.AreEqual(count, sum);
        foreach (var c in evaluation.GetProperty("perClass").EnumerateArray())
            Assert.IsTrue(c.GetProperty("f1").GetDouble() is >= 0 and <= 1, c.ToString());
    }

    private static (int Code, string Out, string Error) Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    internal static (int Code, string Output) RunExample(string name, params string[] args)
        => ChildProcess.RunDotnet(ChildProcess.BuiltDll($"examples/{name}", name), args, TimeSpan.FromMinutes(5));

    /// <summary>The file is a PNG that decodes completely (SkiaSharp, the plotting library's renderer) to the expected size,
    /// and it is not blank.</summary>
    private static void AssertPng(string path, int width, int height)
    {
        Assert.AreEqual((width, height), PngInfo.ReadSize(path), path);
        using var bitmap = SkiaSharp.SKBitmap.Decode(path);
        Assert.IsNotNull(bitmap, $"{path} does not decode");
        Assert.AreEqual((width, height), (bitmap.Width, bitmap.Height), path);
        var colours = new HashSet<uint>();
        for (int y = 0; y < bitmap.Height; y += 7)
            for (int x = 0; x < bitmap.Width; x += 7)
                colours.Add((uint)bitmap.GetPixel(x, y));
        Assert.IsTrue(colours.Count > 2, $"{path} looks blank ({colours.Count} colours)");
    }

    private static double Number(JsonElement element, string name)
        => element.EnumerateObject().Single(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value.GetDouble();
}
