using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.Evl;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>The EVL decoder exported by EvlOnnxExport gives TorchSharp's logits through ONNX Runtime.</summary>
[TestClass]
[DoNotParallelize]
public sealed class EvlOnnxExportTests
{
    [TestMethod]
    [DataRow(true, true, true)]
    [DataRow(false, true, false)]
    [DataRow(true, false, true)]
    public void Tiny_OnnxLogits_EqualTorchSharp(bool interFrame, bool temporalConv, bool positions)
    {
        torch.manual_seed(12);
        var spec = new EvlSpec
        {
            Layers = 2, Frames = 4, Tokens = 17, Width = 16, BackboneHeads = 2, DecoderHeads = 2, NumClasses = 3,
            UseInterFrameAttention = interFrame, UseTemporalConv = temporalConv, UseTemporalPositionEmbedding = positions,
        };
        using var network = new EvlNetwork(spec);
        using (no_grad())
        {
            // Zero-initialised parameters (class token, position embeddings, cross-attention tables) would hide their paths.
            foreach (var (_, p) in network.named_parameters())
                if (p.abs().sum().item<float>() == 0) p.copy_(randn(p.shape) * 0.5);
        }
        network.eval();
        using var folder = new TempFolder();
        string path = folder.File("evl.onnx");
        EvlOnnxExport.Export(network, path);
        using var scope = NewDisposeScope();
        var features = randn([2, spec.SlicesPerLayer * spec.Layers, 4, 17, 16]);
        using var noGrad = no_grad();
        OnnxParity.AssertClose(network.call(features), OnnxParity.Logits(path, features), $"{interFrame}/{temporalConv}/{positions}");
    }
}
