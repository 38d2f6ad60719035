using MLNetVideo.Trainers.Common;
using System.IO.Compression;
using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.S3D;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// TensorBoard event files from training: read back record by record (TFRecord length, masked CRC-32C of the length and of
/// the data, checked with a bitwise CRC-32C written here) and decoded with the <c>tensorflow.Event</c> protocol-buffer
/// classes that TorchSharp ships (Google.Protobuf), not with our writer's code.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class TensorBoardLogTests
{
    [TestInitialize]
    public void Seed() => manual_seed(11);

    [TestMethod]
    public void ReferenceCrc_IsTheCastagnoliChecksum()
    {
        // The standard check value of CRC-32C for "123456789" is 0xE3069283; unmask to compare.
        uint masked = TensorBoardEvents.ReferenceMaskedCrc("123456789"u8);
        uint rotated = unchecked(masked - 0xA282EAD8);
        Assert.AreEqual(0xE3069283u, (rotated << 15) | (rotated >> 17));
        Assert.AreEqual(masked, TensorBoardEventWriter.MaskedCrc32C("123456789"u8));
    }

    [TestMethod]
    public void Training_WritesPerEpochScalars_ThatReadBackAsTensorBoardEvents()
    {
        using var temp = new TempFolder();
        string logs = Path.Combine(temp.Path, "runs", "afnet-1");
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 1, frames: 4, size: 32), frames: 4, size: 32);
        var epochs = new List<EpochMetrics>();
        double before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        var options = new AFNetTrainer.Options
        {
            Depth = AFNetDepth.ResNet18, WidthMultiplier = 0.25, ClipLayout = MLNetVideo.ClipLayout.Cthw,
            Epochs = 2, BatchSize = 4, Device = "cpu", Seed = 3, ValidationSet = data,
            MetricsCallback = epochs.Add, TensorBoardLogFolder = logs,
        };
        using var model = mlContext.MulticlassClassification.Trainers.AFNet(options).Fit(data);
        double after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        var files = Directory.GetFiles(logs);
        Assert.HasCount(1, files);
        StringAssert.StartsWith(Path.GetFileName(files[0]), "events.out.tfevents.");
        var all = TensorBoardEvents.Read(files[0]);
        // The file-version event, one event per batch (2 batches of 4 clips per epoch: AFNet's navigation diagnostics) and one
        // per epoch, in the order they happened.
        Assert.HasCount(1 + 4 + 2, all);
        var stepEvents = all.Where(e => e.Summary?.Value.Any(v => v.Tag.StartsWith("AFNet/step/", StringComparison.Ordinal)) == true).ToList();
        CollectionAssert.AreEqual(new long[] { 0, 1, 2, 3 }, stepEvents.Select(e => e.Step).ToArray(), "step = batch index over the run");
        foreach (var e in stepEvents)
        {
            var values = e.Summary.Value.ToDictionary(v => v.Tag, v => v.SimpleValue);
            CollectionAssert.AreEquivalent(AFNetTrainer.StepDiagnosticNames.Select(n => "AFNet/step/" + n).ToArray(), values.Keys.ToArray());
            Assert.AreEqual(1f, values["AFNet/step/Temperature"], "the short-run schedule keeps τ at 1");
            Assert.IsTrue(values["AFNet/step/ArgmaxRatio"] is >= 0 and <= 1 && values["AFNet/step/StraightThroughFactorMean"] > 0);
        }
        // The short-run target falls linearly from 1 to RT = 0.5 over the first half of the run (4 batches): batch 1 is a
        // quarter of the way, half-way down the ramp.
        float[] targets = [.. stepEvents.Select(e => e.Summary.Value.Single(v => v.Tag == "AFNet/step/TargetRatio").SimpleValue)];
        CollectionAssert.AreEqual(new[] { 1f, 0.75f, 0.5f, 0.5f }, targets);
        var events = all.Except(stepEvents).ToList();
        Assert.HasCount(3, events, "the file-version event and one event per epoch");
        Assert.AreEqual("brain.Event:2", events[0].FileVersion);
        Assert.IsTrue(events.All(e => e.WallTime >= before - 1 && e.WallTime <= after + 1), "wall times are Unix seconds of the run");

        for (int i = 0; i < 2; i++)
        {
            var e = events[i + 1];
            var m = epochs[i];
            Assert.AreEqual(i + 1L, e.Step);
            var values = e.Summary.Value.ToDictionary(v => v.Tag, v => v.SimpleValue);
            CollectionAssert.AreEquivalent(new[]
            {
                "train/loss", "train/accuracy", "validation/loss", "validation/accuracy", "validation/top_k_accuracy", "learning_rate",
                "clips_per_second", "epoch_seconds", "AFNet/SelectedFrameRatio", "AFNet/GFLOPsPerClip", "AFNet/TargetRatio", "AFNet/Temperature", "AFNet/GumbelNoise",
            }, values.Keys.ToArray());
            Assert.AreEqual((float)m.TrainLoss, values["train/loss"]);
            Assert.AreEqual((float)m.TrainAccuracy, values["train/accuracy"]);
            Assert.AreEqual((float)m.ValidationLoss!.Value, values["validation/loss"]);
            Assert.AreEqual((float)m.ValidationAccuracy!.Value, values["validation/accuracy"]);
            Assert.AreEqual((float)m.LearningRate, values["learning_rate"]);
            Assert.AreEqual((float)m.ClipsPerSecond, values["clips_per_second"]);
            Assert.AreEqual((float)m.FamilyMetrics["SelectedFrameRatio"], values["AFNet/SelectedFrameRatio"]);
            Assert.IsTrue(values["train/loss"] > 0 && values["clips_per_second"] > 0);
        }

        // The log folder is how this run was executed, not part of the model: the zip never names it.
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        using var archive = ZipFile.OpenRead(zip);
        foreach (var entry in archive.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            string text = reader.ReadToEnd();
            Assert.DoesNotContain(temp.Path, text, entry.FullName);
            Assert.DoesNotContain(nameof(options.TensorBoardLogFolder), text, entry.FullName);
        }
    }

    [TestMethod]
    public void LogFolderThatCannotBeCreated_FailsBeforeTraining_NamingIt()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("a-file"), "x");
        var mlContext = new MLContext(seed: 5);
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(4, seed: 1, frames: 8, size: 32), frames: 8, size: 32);
        var epochs = new List<EpochMetrics>();
        var options = new S3DTrainer.Options
        {
            WidthMultiplier = 0.125, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
            MetricsCallback = epochs.Add, TensorBoardLogFolder = Path.Combine(temp.File("a-file"), "logs"),
        };
        var ex = Assert.ThrowsExactly<IOException>(() => mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data));
        StringAssert.Contains(ex.Message, $"Could not create the TensorBoard event file '{Path.Combine(temp.File("a-file"), "logs")}");
        Assert.IsEmpty(epochs, "no epoch ran");

        options.TensorBoardLogFolder = " ";
        Assert.ThrowsExactly<ArgumentException>(() => mlContext.MulticlassClassification.Trainers.S3D(options));
    }

    [TestMethod]
    public void Writer_SeveralScalarsPerEvent_AndNegativeOrLargeSteps()
    {
        using var temp = new TempFolder();
        string path;
        using (var writer = new TensorBoardEventWriter(temp.Path))
        {
            writer.AddScalar("a/b", 1.5f, 7);
            writer.AddScalars([("x", -2f), ("y", float.NaN)], 1L << 40, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
            path = writer.FilePath;
        }
        var events = TensorBoardEvents.Read(path);
        Assert.HasCount(3, events);
        Assert.AreEqual(7L, events[1].Step);
        Assert.AreEqual("a/b", events[1].Summary.Value.Single().Tag);
        Assert.AreEqual(1.5f, events[1].Summary.Value.Single().SimpleValue);
        Assert.AreEqual(1L << 40, events[2].Step);
        Assert.AreEqual(1_800_000_000.0, events[2].WallTime);
        CollectionAssert.AreEqual(new[] { "x", "y" }, events[2].Summary.Value.Select(v => v.Tag).ToArray());
        Assert.AreEqual(-2f, events[2].Summary.Value[0].SimpleValue);
        Assert.IsTrue(float.IsNaN(events[2].Summary.Value[1].SimpleValue));
    }
}
