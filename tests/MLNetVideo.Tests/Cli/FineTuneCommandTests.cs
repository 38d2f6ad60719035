using System.Text.Json;
using MLNetVideo.Cli;
using MLNetVideo.Cli.Commands;
using MLNetVideo.Tests.OfficialFixtures;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Cli;

/// <summary><c>mlnetvideo train --weights/--freeze/--backbone-lr-scale</c> in process: official checkpoints (rebuilt from
/// their golden fixtures) are recognised, their architecture and preprocessing applied, and misuse is refused in one line.</summary>
[TestClass]
[DoNotParallelize]
public sealed class FineTuneCommandTests
{
    [TestMethod]
    public void Train_FromTheOfficialMoViNetA0File_FreezingTheBackbone_ReportsTheImportAndTheSettings()
    {
        using var folder = new TempFolder("mlnetvideo-finetune-cli");
        string data = folder.File("data");
        SyntheticActionVideos.Generate(data, new SyntheticActionOptions
        {
            VideosPerClass = 2,
            Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up],
            Frames = 4,
            Size = 32,
            Seed = 5,
        });
        string weights = OfficialFixture.Load("movinet_a0_base").WriteCheckpoint(folder.Path);
        string model = folder.File("out/model.zip");
        var train = CliRun.Run("train", "--data", data, "--model", "movinet-a0", "--weights", weights, "--freeze", "all", "--backbone-lr-scale", "0.1",
            "--frames", "4", "--size", "32", "--epochs", "1", "--test-fraction", "0", "--output", model, "--device", "cpu");
        Assert.AreEqual(0, train.Code, train.Error + train.Out);
        StringAssert.Contains(train.Out, "Weights: MoViNet-A0 base Kinetics-600 (Atze00/MoViNet-pytorch): training its architecture on 4 frames of 32²");
        StringAssert.Contains(train.Out, $"Initial weights '{weights}': PyTorch zip, layout MoViNet base (Atze00/MoViNet-pytorch).");
        StringAssert.Contains(train.Out, "head re-initialised (classifier.3.conv_1.conv3d.weight, classifier.3.conv_1.conv3d.bias): the checkpoint has 600 classes, the data 3");
        using var metrics = JsonDocument.Parse(File.ReadAllText(folder.File("out/metrics.json")));
        var settings = metrics.RootElement.EnumerateObject().Single(p => p.Name.Equals("settings", StringComparison.OrdinalIgnoreCase)).Value;
        Assert.AreEqual(weights, settings.GetProperty("weights").GetString());
        Assert.AreEqual("all", settings.GetProperty("freeze").GetString());
        Assert.AreEqual(0.1, settings.GetProperty("backboneLrScale").GetDouble());
    }

    [TestMethod]
    public void KnownCheckpoints_BringTheirArchitectureAndPreprocessing()
    {
        using var folder = new TempFolder("mlnetvideo-finetune-cli");
        string tsm = OfficialFixture.Load("tsm_r50").WriteCheckpoint(folder.Path);
        var (path, known) = TrainCommand.Pretrained(tsm, ModelRegistry.Get("tsm"), null, null);
        Assert.AreEqual(tsm, path);
        Assert.IsNotNull(known);
        Assert.AreEqual((8, 224, 256, PixelNormalization.ImageNet, SamplingMode.Uniform), (known.Frames, known.Size, known.ShortSide, known.Normalization, known.Sampling));
        var options = new TsmTrainer.Options { Depth = TsmDepth.ResNet18, WidthMultiplier = 0.25 };
        known.Architecture(options);
        Assert.AreEqual((TsmDepth.ResNet50, 1.0), (options.Depth, options.WidthMultiplier));

        string stream = OfficialFixture.Load("movinet_a2_stream").WriteCheckpoint(folder.Path);
        var movinet = TrainCommand.Pretrained(stream, ModelRegistry.Get("movinet-a0"), null, null).Known!;
        Assert.AreEqual((50, 224, PixelNormalization.ZeroToOne), (movinet.Frames, movinet.Size, movinet.Normalization));
        var m = new MoViNetTrainer.Options();
        movinet.Architecture(m);
        Assert.AreEqual((MoViNetVariant.A2, MoViNetMode.Stream, 2048), (m.Variant, m.Mode, m.ClassifierHiddenChannels));

        // Another family's checkpoint, a frame count the checkpoint cannot take, EVL without its CLIP backbone.
        var family = Assert.ThrowsExactly<CliException>(() => TrainCommand.Pretrained(tsm, ModelRegistry.Get("s3dg"), null, null));
        StringAssert.Contains(family.Message, "train it with --model tsm");
        string afnet = OfficialFixture.Load("afnet_r50").WriteCheckpoint(folder.Path);
        var frames = Assert.ThrowsExactly<CliException>(() => TrainCommand.Pretrained(afnet, ModelRegistry.Get("afnet"), null, 8));
        StringAssert.Contains(frames.Message, "built for 12 frames");
        string evl = OfficialFixture.Load("evl_vitb16").WriteCheckpoint(folder.Path);
        var clip = Assert.ThrowsExactly<CliException>(() => TrainCommand.Pretrained(evl, ModelRegistry.Get("evl"), null, null));
        StringAssert.Contains(clip.Message, "--clip-weights");
        Assert.AreEqual((SamplingMode.Dense, 16, 8), TrainCommand.Pretrained(evl, ModelRegistry.Get("evl"), "ViT-B-16.pt", null).Known is { } e
            ? (e.Sampling, e.FrameInterval, e.Frames) : default);

        var missing = CliRun.Run("train", "--data", folder.Path, "--model", "tsm", "--weights", folder.File("absent.pth"));
        Assert.AreNotEqual(0, missing.Code);
        StringAssert.Contains(missing.Error, "--weights: the file");
        var freeze = CliRun.Run("train", "--data", folder.Path, "--model", "tsm", "--freeze", "most");
        Assert.AreNotEqual(0, freeze.Code);
        StringAssert.Contains(freeze.Error, "--freeze must be a number of stages (0, 1, 2, …) or 'all'");
    }
}
