using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>S3D and S3D-G exported by S3DOnnxExport give TorchSharp's logits through ONNX Runtime.</summary>
[TestClass]
[DoNotParallelize]
public sealed class S3DOnnxExportTests
{
    [TestMethod]
    [DataRow(S3DVariant.S3D, 0)]
    [DataRow(S3DVariant.S3DG, 0)]
    [DataRow(S3DVariant.S3DG, 8)]
    public void TinyNetwork_OnnxLogits_EqualTorchSharp(S3DVariant variant, int temporalStart)
    {
        torch.manual_seed(11);
        using var network = new S3DNetwork(S3DSpecs.For(variant, 4, 0.125) with { TemporalStartLayer = temporalStart });
        OnnxParity.Randomise(network, 5);
        using var folder = new TempFolder();
        string path = folder.File("s3d.onnx");
        S3DOnnxExport.Export(network, path, frames: 8, height: 40, width: 32);
        using var scope = NewDisposeScope();
        var clips = randn([2, 3, 8, 40, 32]);
        using var noGrad = no_grad();
        OnnxParity.AssertClose(network.call(clips), OnnxParity.Logits(path, clips), $"{variant}/{temporalStart}");
    }

    [TestMethod]
    public void Export_TooSmallClip_Throws()
    {
        using var network = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, 4, 0.125));
        var error = Assert.ThrowsExactly<ArgumentException>(() => S3DOnnxExport.Export(network, "unused.onnx", 4, 32, 32));
        StringAssert.Contains(error.Message, "at least 8 frames");
    }
}
