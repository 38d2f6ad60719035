using Microsoft.ML;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Trainers.MoViNet;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>MoViNet exported by MoViNetOnnxExport: the whole-clip classifier (base and stream networks, single and temporal
/// ensemble) and the stream step with explicit state give TorchSharp's logits through ONNX Runtime, step after step.</summary>
[TestClass]
[DoNotParallelize]
public sealed class MoViNetOnnxExportTests
{
    [TestMethod]
    [DataRow(MoViNetMode.Base)]
    [DataRow(MoViNetMode.Stream)]
    public void WholeClip_OnnxLogits_EqualTorchSharp(MoViNetMode mode)
    {
        torch.manual_seed(5);
        using var network = MoViNetTestNetworks.TinyA0(mode);
        using var folder = new TempFolder();
        string path = folder.File("movinet.onnx");
        MoViNetOnnxExport.Export(network, path, frames: 5, height: 40, width: 36);
        using var scope = NewDisposeScope();
        var clips = rand([2, 3, 5, 40, 36]);
        using var noGrad = no_grad();
        OnnxParity.AssertClose(network.call(clips), OnnxParity.Logits(path, clips), mode.ToString());
    }

    [TestMethod]
    [DataRow(MoViNetMode.Base, 5)]
    [DataRow(MoViNetMode.Stream, 4)]
    public void TemporalEnsemble_OnnxLogits_EqualTorchSharp(MoViNetMode mode, int frames)
    {
        torch.manual_seed(7);
        using var network = new MoViNetEnsembleNetwork(MoViNetTestNetworks.TinySpec(mode) with { TemporalEnsemble = true });
        MoViNetTestNetworks.Calibrate(network);
        // Different members, so that feeding a member the other's frames (or one member twice) would show.
        using (no_grad())
            foreach (var (name, p) in network.named_parameters())
                if (name.StartsWith("model_1.", StringComparison.Ordinal) && name.EndsWith("alpha", StringComparison.Ordinal)) p.fill_(0.4);
        using var folder = new TempFolder();
        string path = folder.File("ensemble.onnx");
        MoViNetOnnxExport.Export(network, path, frames, height: 36, width: 32);
        using var scope = NewDisposeScope();
        var clips = rand([2, 3, frames, 36, 32]);
        using var noGrad = no_grad();
        var expected = network.call(clips);
        OnnxParity.AssertClose(expected, OnnxParity.Logits(path, clips), $"ensemble, {mode}, {frames} frames");
        var swapped = network.Members[0].call(clips.slice(2, 1, frames, 2)) + network.Members[1].call(clips.slice(2, 0, frames, 2));
        Assert.IsTrue((swapped / 2 - expected).abs().max().item<float>() > 1e-3, "the members differ, so the parity checks which frames each one sees");
    }

    [TestMethod]
    public void TemporalEnsemble_OfOneFrame_Throws()
    {
        using var network = new MoViNetEnsembleNetwork(MoViNetTestNetworks.TinySpec(MoViNetMode.Base) with { TemporalEnsemble = true });
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => MoViNetOnnxExport.Export(network, "unused.onnx", 1, 32, 32)).Message, "at least 2 frames");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void StreamStep_StateAsInputsAndOutputs_MatchesMoViNetStreamOverSteps(int framesPerStep)
    {
        torch.manual_seed(6);
        using var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var folder = new TempFolder();
        string path = folder.File("step.onnx");
        var states = MoViNetOnnxExport.ExportStreamStep(network, path, framesPerStep, 32, 32);
        Assert.IsTrue(states.Any(s => s.Key.EndsWith(".stream_buffer", StringComparison.Ordinal)), "causal conv buffers are inputs");
        Assert.IsTrue(states.Any(s => s.Key == "head.pool_sum"), "the head's running sum is an input");

        using var stream = network.CreateStream(torch.CPU);
        using var scope = NewDisposeScope();
        var current = states.ToDictionary(s => s.Key, s => zeros(s.Value.Select(d => d < 0 ? 2L : d).ToArray()));
        float seen = 0;
        for (int step = 0; step < 4; step++)
        {
            var frames = rand([2, 3, framesPerStep, 32, 32]);
            var expected = stream.Push(frames);
            var inputs = new Dictionary<string, Tensor>(current) { ["clips"] = frames, [MoViNetOnnxExport.FramesSeenName] = tensor(new[] { seen }) };
            var outputs = OnnxParity.Run(path, inputs);
            OnnxParity.AssertClose(expected, outputs["logits"], $"step {step}");
            foreach (var name in current.Keys.ToArray())
            {
                var (values, shape) = outputs[name + MoViNetOnnxExport.NextSuffix];
                current[name] = tensor(values).reshape(shape);
            }
            seen += framesPerStep;
        }
    }

    private static VideoClassifierTransformer<MoViNetSpec> Model(nn.Module<Tensor, Tensor> network, MoViNetSpec spec, int height, int width) => new(
        new MLContext(seed: 1), MoViNetBackbone.Instance, spec, network,
        new VideoClassifierInfo
        {
            ClipColumnName = "Frames",
            ScoreColumnName = "Score",
            PredictedLabelColumnName = "PredictedLabel",
            Clip = new ClipGeometry(1, 3, 4, height, width, ClipLayout.Cthw),
            NetworkLayout = ClipLayout.Cthw,
            NumClasses = spec.NumClasses,
            Device = "cpu",
        },
        new Dictionary<string, object?>(), CPU);

    [TestMethod]
    public void StreamStep_OfTrainedStreamModel_IsTheNetworksStep_AtTheModelsFrameSize()
    {
        torch.manual_seed(7);
        var network = MoViNetTestNetworks.TinyA0(MoViNetMode.Stream);
        using var model = Model(network, network.Spec, height: 40, width: 36);
        using var folder = new TempFolder();
        var fromModel = MoViNetOnnxExport.ExportStreamStep(model, folder.File("model-step.onnx"), frames: 2);
        var fromNetwork = MoViNetOnnxExport.ExportStreamStep(network, folder.File("network-step.onnx"), 2, 40, 36);
        CollectionAssert.AreEqual(fromNetwork.Select(s => s.Key).ToList(), fromModel.Select(s => s.Key).ToList());
        for (int i = 0; i < fromModel.Count; i++)
            CollectionAssert.AreEqual(fromNetwork[i].Value, fromModel[i].Value, fromModel[i].Key);
        // The states' spatial sizes follow the model's 40×36 frames: another frame size gives other shapes.
        var other = MoViNetOnnxExport.ExportStreamStep(network, folder.File("other-step.onnx"), 2, 32, 32);
        Assert.IsTrue(other.Zip(fromModel).Any(p => !p.First.Value.SequenceEqual(p.Second.Value)), "32×32 states have the same shapes as 40×36 ones");
        CollectionAssert.AreEqual(File.ReadAllBytes(folder.File("network-step.onnx")), File.ReadAllBytes(folder.File("model-step.onnx")));
    }

    [TestMethod]
    public void StreamStep_OfTemporalEnsembleModel_Throws()
    {
        var spec = MoViNetTestNetworks.TinySpec(MoViNetMode.Stream) with { TemporalEnsemble = true };
        using var model = Model(new MoViNetEnsembleNetwork(spec), spec, 32, 32);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => MoViNetOnnxExport.ExportStreamStep(model, "unused.onnx"));
        StringAssert.Contains(e.Message, "TemporalEnsemble");
    }

    [TestMethod]
    public void StreamStep_OfBaseNetwork_Throws()
    {
        using var network = new MoViNetNetwork(MoViNetTestNetworks.TinySpec(MoViNetMode.Base));
        Assert.ThrowsExactly<InvalidOperationException>(() => MoViNetOnnxExport.ExportStreamStep(network, "unused.onnx", 1, 32, 32));
    }
}
