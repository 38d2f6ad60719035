using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Onnx;

/// <summary>TSM exported by TsmOnnxExport (shift as Slice/Pad/Concat, clustering as standard operators) gives TorchSharp's
/// logits through ONNX Runtime.</summary>
[TestClass]
[DoNotParallelize]
public sealed class TsmOnnxExportTests
{
    private static TsmSpec Tiny(TsmDepth depth) => new() { Depth = depth, NumClasses = 5, WidthMultiplier = 0.25, DropoutRate = 0 };

    private static void AssertParity(TsmSpec spec, int frames, int seed = 3, string? what = null)
    {
        torch.manual_seed(seed);
        using var network = new TsmNetwork(spec);
        OnnxParity.Randomise(network, seed);
        using var folder = new TempFolder();
        string path = folder.File("tsm.onnx");
        TsmOnnxExport.Export(network, path, frames, 32, 40);
        using var scope = NewDisposeScope();
        var clips = randn([2, frames, 3, 32, 40]);
        using var noGrad = no_grad();
        OnnxParity.AssertClose(network.call(clips), OnnxParity.Logits(path, clips), what ?? spec.ToString());
    }

    [TestMethod]
    [DataRow(TsmDepth.ResNet18, 4)]
    [DataRow(TsmDepth.ResNet50, 3)]
    [DataRow(TsmDepth.ResNet18, 1)]
    public void NoClustering_OnnxLogits_EqualTorchSharp(TsmDepth depth, int frames) => AssertParity(Tiny(depth), frames);

    [TestMethod]
    public void SampledFrames_OnnxLogits_EqualTorchSharp() => AssertParity(Tiny(TsmDepth.ResNet18) with { SampledFrames = 3 }, 7);

    [TestMethod]
    [DataRow(TsmClustering.Cumulative, ClusterAggregation.Sum, 3)]
    [DataRow(TsmClustering.Cumulative, ClusterAggregation.Mean, 4)]
    [DataRow(TsmClustering.Slope, ClusterAggregation.Sum, 3)]
    [DataRow(TsmClustering.Slope, ClusterAggregation.Mean, 2)]
    [DataRow(TsmClustering.Cumulative, ClusterAggregation.Sum, 1)]
    public void Clustering_OnnxLogits_EqualTorchSharp(TsmClustering clustering, ClusterAggregation aggregation, int clusters)
        => AssertParity(Tiny(TsmDepth.ResNet18) with { Clustering = clustering, Aggregation = aggregation, ClusterCount = clusters }, 8);

    [TestMethod]
    public void Clustering_FewerFramesThanClusters_OnnxLogits_EqualTorchSharp()
        => AssertParity(Tiny(TsmDepth.ResNet18) with { Clustering = TsmClustering.Slope, ClusterCount = 4 }, 3);
}
