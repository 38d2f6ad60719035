using Microsoft.ML;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Common;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.OfficialFixtures;

/// <summary>
/// Every published checkpoint layout, end to end: the checkpoint is rebuilt from the official key list of its golden
/// fixture (generated from the unchanged official code, tests/OfficialFixtures), written in the released container, given
/// to the family's trainer as <see cref="VideoTrainerOptionsBase.InitialWeights"/> (the network <c>Fit</c> would train, built
/// and imported by the trainer's own <c>BuildNetwork</c>, with the container and layout detected), and its eval-mode outputs
/// are compared with the official ones at the fixture's small input (full-size weights).
/// </summary>
[TestClass]
[DoNotParallelize]
public sealed class OfficialCheckpointImportTests
{
    private static TempFolder? s_clipFolder;
    private static string? s_clipOpenAIPath;

    /// <summary>The OpenAI ViT-B/16 archive of the clip_vitb16_openai fixture (172 MB), written once for the two tests that
    /// read it (its own test and EVL's, whose backbone it is); neither changes it.</summary>
    private static string ClipOpenAICheckpoint(OfficialFixture fixture)
    {
        if (s_clipOpenAIPath is null)
        {
            s_clipFolder = new TempFolder();
            s_clipOpenAIPath = fixture.WriteCheckpoint(s_clipFolder.Path);
        }
        return s_clipOpenAIPath;
    }

    [ClassCleanup]
    public static void DeleteSharedCheckpoint() => s_clipFolder?.Dispose();

    [TestMethod]
    public void S3D_LegacyKinetics400File_ImportsExactly_AndMatchesTheOfficialLogits()
    {
        var fixture = OfficialFixture.Load("s3d");
        using var folder = new TempFolder();
        string path = fixture.WriteCheckpoint(folder.Path);
        Assert.IsTrue(S3DWeights.Official.Matches(PyTorchCheckpointReader.ReadStateDict(path).Keys));
        var trainer = new MLContext(1).MulticlassClassification.Trainers.S3D(new S3DTrainer.Options { Variant = S3DVariant.S3D, InitialWeights = path });
        var (_, network, report, _) = trainer.BuildNetwork(new ClipGeometry(1, 3, 16, 64, 64, ClipLayout.Cthw), 400, seed: 1);
        using var disposeNetwork = network;
        AssertExact(report, fixture, S3DWeights.Official, "legacy torch.save");
        AssertLogits(network, fixture, fixture.Input());
    }

    [TestMethod]
    [DataRow("movinet_a0_base", MoViNetVariant.A0, MoViNetMode.Base)]
    [DataRow("movinet_a1_base", MoViNetVariant.A1, MoViNetMode.Base)]
    [DataRow("movinet_a2_base", MoViNetVariant.A2, MoViNetMode.Base)]
    [DataRow("movinet_a0_stream", MoViNetVariant.A0, MoViNetMode.Stream)]
    [DataRow("movinet_a1_stream", MoViNetVariant.A1, MoViNetMode.Stream)]
    [DataRow("movinet_a2_stream", MoViNetVariant.A2, MoViNetMode.Stream)]
    public void MoViNet_Atze00StateDict_ImportsExactly_AndMatchesTheOfficialLogits(string name, MoViNetVariant variant, MoViNetMode mode)
    {
        var fixture = OfficialFixture.Load(name);
        using var folder = new TempFolder();
        string path = fixture.WriteCheckpoint(folder.Path);
        var layout = MoViNetWeights.Atze00(mode);
        var keys = PyTorchCheckpointReader.ReadStateDict(path).Keys.ToList();
        Assert.IsTrue(layout.Matches(keys));
        Assert.IsFalse(MoViNetWeights.Atze00(mode == MoViNetMode.Base ? MoViNetMode.Stream : MoViNetMode.Base).Matches(keys));
        var trainer = new MLContext(1).MulticlassClassification.Trainers.MoViNet(
            new MoViNetTrainer.Options { Variant = variant, Mode = mode, InitialWeights = path });
        var (_, built, report, _) = trainer.BuildNetwork(new ClipGeometry(1, 3, 4, 64, 64, ClipLayout.Cthw), 600, seed: 1);
        using var network = (MoViNetNetwork)built;
        // Exact both ways: every official key is one of ours and the other way round, with the official count.
        Assert.AreEqual(fixture.Keys.Count, network.state_dict().Count);
        CollectionAssert.AreEquivalent(fixture.Keys.Select(k => k.Key).ToList(),
            network.state_dict().Keys.Select(k => MoViNetWeights.ToAtze00Key(k, mode)).ToList());
        AssertExact(report, fixture, layout, "PyTorch zip");
        // Stream files store 2-D kernels that the layout gives a time (or width) axis; base files are taken as they are.
        if (mode == MoViNetMode.Stream)
            Assert.IsTrue(report!.Reshaped.Count > 0 && report.Reshaped.All(k => k.EndsWith(".weight", StringComparison.Ordinal)), $"{name}: {report.Summary()}");
        else
            Assert.AreEqual(0, report!.Reshaped.Count, $"{name}: {report.Summary()}");
        var input = fixture.Input();
        AssertLogits(network, fixture, input);
        if (mode == MoViNetMode.Stream)
        {
            // Frame by frame through our stream session, as the official buffers after the last frame.
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            using var stream = network.CreateStream(CPU);
            Tensor? last = null;
            for (long t = 0; t < input.shape[2]; t++)
                last = stream.Push(input.narrow(2, t, 1));
            OfficialFixture.AssertClose(fixture.Extra("stream_output"), last!, $"{name} streamed");
        }
    }

    [TestMethod]
    public void MoViNet_StreamSqueezeExcitation_MatchesTheOfficialGate()
    {
        // Whole networks damp the SE gate's effect on the logits below the tolerance; one unit's output shows it directly
        // (Keras' hard sigmoid 0.2·x + 0.5 against relu6(x + 3)/6 differ here by far more than 1e-4).
        var fixture = OfficialFixture.Load("movinet_stream_se");
        var input = fixture.Input();
        long channels = input.shape[1];
        using var se = new MLNetVideo.Trainers.MoViNet.Modules.SqueezeExcitation(channels, MoViNetSpecs.MakeDivisible(0.5 * channels, 8), causal: true,
            MLNetVideo.Trainers.MoViNet.Modules.MoViNetActivation.HardSwish, MLNetVideo.Trainers.MoViNet.Modules.MoViNetActivation.HardSigmoid, "b2_l0", 1e-3, 0.01);
        var report = StateDictImporter.LoadInto(se, fixture.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value), MoViNetWeights.Atze00Stream.Mapping);
        AssertExact(report, fixture);
        se.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        OfficialFixture.AssertClose(fixture.Output, se.Forward(input, null), fixture.Name);
    }

    [TestMethod]
    public void Tsm_LegacyReferenceFile_ImportsExactly_AndMatchesTheOfficialLogits()
    {
        var fixture = OfficialFixture.Load("tsm_r50");
        using var folder = new TempFolder();
        string path = fixture.WriteCheckpoint(folder.Path);
        var checkpoint = PyTorchCheckpointReader.Read(path);
        Assert.IsTrue(TsmWeights.Official.Matches(checkpoint.GetStateDict("state_dict").Keys));
        Assert.IsFalse(AFNetWeights.Official.Matches(checkpoint.GetStateDict("state_dict").Keys));
        var trainer = new MLContext(1).MulticlassClassification.Trainers.Tsm(new TsmTrainer.Options { Depth = TsmDepth.ResNet50, InitialWeights = path });
        var (_, network, report, _) = trainer.BuildNetwork(new ClipGeometry(1, 3, 8, 64, 64, ClipLayout.Tchw), 400, seed: 1);
        using var disposeNetwork = network;
        AssertExact(report, fixture, TsmWeights.Official, "legacy torch.save");
        var input = fixture.Input();                                          // [N, T·3, H, W] = [N, T, 3, H, W] in memory
        AssertLogits(network, fixture, input.view(input.shape[0], input.shape[1] / 3, 3, input.shape[2], input.shape[3]));
    }

    [TestMethod]
    public void AFNet_SomethingV1File_ImportsExactly_AndMatchesTheOfficialLogits()
    {
        var fixture = OfficialFixture.Load("afnet_r50");
        using var folder = new TempFolder();
        string path = fixture.WriteCheckpoint(folder.Path);
        Assert.IsTrue(AFNetWeights.Official.Matches(PyTorchCheckpointReader.ReadStateDict(path, "state_dict").Keys));
        var input = fixture.Input();
        int frames = (int)(input.shape[1] / 3);
        var trainer = new MLContext(1).MulticlassClassification.Trainers.AFNet(new AFNetTrainer.Options { Depth = AFNetDepth.ResNet50, InitialWeights = path });
        var (_, network, report, _) = trainer.BuildNetwork(new ClipGeometry(1, 3, frames, 64, 64, ClipLayout.Tchw), 174, seed: 1);
        using var disposeNetwork = network;
        AssertExact(report, fixture, AFNetWeights.Official, "PyTorch zip");
        AssertLogits(network, fixture, input.view(input.shape[0], frames, 3, input.shape[2], input.shape[3]));
    }

    [TestMethod]
    public void ClipVitB16_OpenAITorchScriptArchive_LoadsWithoutRunningCode_AndMatchesTheOfficialEmbedding()
    {
        var fixture = OfficialFixture.Load("clip_vitb16_openai");
        string path = ClipOpenAICheckpoint(fixture);
        var checkpoint = PyTorchCheckpointReader.Read(path);
        Assert.IsTrue(checkpoint.IsTorchScript);
        Assert.AreEqual(fixture.Keys.Count, checkpoint.GetStateDict().Count);
        Assert.AreEqual(TensorDType.Float16, checkpoint.GetStateDict("visual")["conv1.weight"].DType);
        using var network = new ClipVisionNetwork(ClipVisionSpecs.VitB16);
        var (report, _) = ClipWeights.Load(network, path);
        Assert.IsTrue(report.IsExact, report.ToString());
        AssertLogits(network, fixture, fixture.Input());
    }

    [TestMethod]
    public void ClipVitB16_HuggingFaceSafetensors_ImportsExactly_AndMatchesTheOfficialEmbedding()
    {
        var fixture = OfficialFixture.Load("clip_vitb16_hf");
        using var folder = new TempFolder();
        string path = fixture.WriteCheckpoint(folder.Path);
        using var network = new ClipVisionNetwork(ClipVisionSpecs.VitB16);
        var (report, _) = ClipWeights.Load(network, path);
        Assert.IsTrue(report.IsExact, report.ToString());
        Assert.AreEqual(ClipCheckpointLayout.HuggingFace, ClipWeights.DetectLayout(fixture.Keys.Select(k => k.Key)));
        AssertLogits(network, fixture, fixture.Input());
    }

    [TestMethod]
    public void Evl_DecoderCheckpointOverOfficialClipArchive_MatchesTheOfficialLogits()
    {
        var fixture = OfficialFixture.Load("evl_vitb16");
        var clipFixture = OfficialFixture.Load("clip_vitb16_openai");
        using var folder = new TempFolder();
        string clipPath = ClipOpenAICheckpoint(clipFixture);
        string path = fixture.WriteCheckpoint(folder.Path);
        using var clip = new ClipVisionNetwork(ClipVisionSpecs.VitB16);
        Assert.IsTrue(ClipWeights.Load(clip, clipPath).Report.IsExact);
        var trainer = new MLContext(1).MulticlassClassification.Trainers.Evl(new EvlTrainer.Options { InitialWeights = path });
        var (spec, network, report, _) = trainer.BuildNetwork(new ClipGeometry(1, 3 * 4, 8, 197, 768, ClipLayout.Cthw), 400, seed: 1);
        using var disposeNetwork = network;
        Assert.AreEqual(new EvlSpec { Layers = 4, Frames = 8, NumClasses = 400 } with { MlpDropout = spec.MlpDropout, ClassifierDropout = spec.ClassifierDropout }, spec);
        AssertExact(report, fixture, EvlWeights.Official, "PyTorch zip");
        clip.eval();
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var input = fixture.Input();                                                     // [N, 3, T, 224, 224]
        long n = input.shape[0], t = input.shape[2];
        var images = input.permute(0, 2, 1, 3, 4).reshape(n * t, 3, input.shape[3], input.shape[4]);
        var (f, q, k) = clip.ExtractFeatures(images, spec.Layers, withQk: true);        // [M, N·T, L, W] each
        var features = cat([f, q!, k!], 0).view(3 * spec.Layers, n, t, spec.Tokens, spec.Width).transpose(0, 1);
        OfficialFixture.AssertClose(fixture.Output, network.call(features), fixture.Name);
    }

    private static void AssertExact(InitialWeightsReport? report, OfficialFixture fixture, CheckpointLayout layout, string container)
    {
        Assert.IsNotNull(report, $"{fixture.Name}: the trainer imported nothing");
        Assert.AreEqual(layout.Name, report.Layout, $"{fixture.Name}: detected layout");
        Assert.AreEqual(container, report.Container, $"{fixture.Name}: detected container");
        Assert.AreEqual(fixture.Entry, report.Entry, $"{fixture.Name}: wrapping entry");
        Assert.AreEqual(fixture.Keys.Count, report.Loaded.Count, $"{fixture.Name}: every official tensor is loaded ({report.Summary()})");
        Assert.AreEqual(0, report.Missing.Count + report.Unexpected.Count, $"{fixture.Name}: {report.Summary()}");
        Assert.IsFalse(report.HeadReinitialized, $"{fixture.Name}: same class count, the official head is kept");
    }

    private static void AssertExact(ImportReport report, OfficialFixture fixture)
    {
        Assert.IsTrue(report.IsExact, $"{fixture.Name}: {report}");
        Assert.AreEqual(fixture.Keys.Count, report.Loaded.Count, $"{fixture.Name}: every official tensor is loaded");
    }

    private static void AssertLogits(nn.Module<Tensor, Tensor> network, OfficialFixture fixture, Tensor input)
    {
        network.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var output = network.call(input);
        CollectionAssert.AreEqual(fixture.OutputShape, output.shape, $"{fixture.Name}: output shape");
        OfficialFixture.AssertClose(fixture.Output, output, fixture.Name);
    }
}
