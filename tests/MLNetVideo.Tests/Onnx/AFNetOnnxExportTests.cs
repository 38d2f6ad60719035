using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.AFNet;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>AFNet at inference exported by AFNetOnnxExport (navigation mask as Greater + Cast, focal branch masked) gives
/// the logits of TorchSharp's frame-skipping path through ONNX Runtime.</summary>
[TestClass]
[DoNotParallelize]
public sealed class AFNetOnnxExportTests
{
    [TestMethod]
    [DataRow(AFNetDepth.ResNet18, 0.0, 40, 48)]
    [DataRow(AFNetDepth.ResNet50, 0.0, 32, 32)]
    [DataRow(AFNetDepth.ResNet18, 4.5, 36, 44)]
    public void Tiny_OnnxLogits_EqualFrameSkippingTorchSharp(AFNetDepth depth, double gateBias, int height, int width)
    {
        torch.manual_seed(9);
        using var network = new AFNetNetwork(new AFNetSpec { Depth = depth, NumClasses = 5, Frames = 4, WidthMultiplier = 0.25, DropoutRate = 0 });
        // The reference gate bias keeps every frame; a bias near the tie makes the masks depend on the clip, so some frames
        // are skipped and both paths of the selection are exercised.
        if (gateBias > 0) network.InitialiseGateBias(gateBias, gateBias);
        OnnxParity.Randomise(network, 4);
        foreach (var (name, p) in network.named_parameters().Where(p => p.name.EndsWith("bn3.weight", StringComparison.Ordinal) || p.name.EndsWith("bn2.weight", StringComparison.Ordinal)))
            using (no_grad()) p.copy_(rand(p.shape) + 0.5);   // zero-initialised last norms would hide the branches
        using var folder = new TempFolder();
        string path = folder.File("afnet.onnx");
        AFNetOnnxExport.Export(network, path, height, width);
        using var scope = NewDisposeScope();
        var clips = randn([3, 4, 3, height, width]);
        using var noGrad = no_grad();
        var output = network.Run(clips, new AFNetRunOptions { SkipFrames = true });
        if (gateBias > 0)
        {
            float kept = output.SelectedFrameRatio.mean().item<float>();
            Assert.IsTrue(kept is > 0f and < 1f, $"the masks select some frames and skip others (ratio {kept})");
        }
        OnnxParity.AssertClose(output.Logits, OnnxParity.Logits(path, clips), $"{depth}");
    }
}
