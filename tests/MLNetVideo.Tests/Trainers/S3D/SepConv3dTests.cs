using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.S3D.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Trainers.S3D;

[TestClass]
[DoNotParallelize]
public sealed class SepConv3dTests
{
    [TestInitialize]
    public void Seed() => torch.manual_seed(3);

    private static void PolluteAllocator()
    {
        foreach (long size in new long[] { 1_000, 10_000, 100_000, 1_000_000 })
            full([size], float.NaN).Dispose();
    }

    [TestMethod]
    [DataRow(24L, 20L, 2L, 7L)]
    [DataRow(18L, 16L, 2L, 4L)]
    [DataRow(40L, 8L, 4L, 8L)]
    [DataRow(16L, 20L, 2L, 7L)]
    public void SpatialConv_WithUnalignedChannels_IsDeterministicAndExact(long channels, long outChannels, long frames, long size)
    {
        using var unit = new SepConv3d(channels, outChannels, 3, 1, 1, 3, S3DBatchNorm.Reference, gated: false);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = randn([8, channels, frames, size, size]);
        // Reference in float64 (a different kernel path).
        var weight = unit.named_parameters().First(p => p.name == "conv_s.weight").parameter;
        var expected = nn.functional.conv3d(x.to(ScalarType.Float64), weight.to(ScalarType.Float64), null, [1, 1, 1], [0, 1, 1]).to(ScalarType.Float32);
        for (int i = 0; i < 5; i++)
        {
            PolluteAllocator();
            var actual = unit.SpatialConv(x);
            Assert.IsFalse(actual.isnan().any().item<bool>(), "NaN in the spatial conv");
            Assert.IsTrue(actual.allclose(expected, rtol: 1e-4, atol: 1e-4), $"max |diff| {(actual - expected).abs().max().item<float>()}");
        }
    }

    [TestMethod]
    [DataRow(16L, 24L)]
    [DataRow(24L, 40L)]
    [DataRow(8L, 16L)]
    public void SpatialConv_InputGradient_IsExact(long channels, long outChannels)
    {
        using var unit = new SepConv3d(channels, outChannels, 3, 1, 1, 3, S3DBatchNorm.Reference, gated: false);
        using var scope = NewDisposeScope();
        var x = randn([8, channels, 2, 4, 4]);
        var upstream = randn([8, outChannels, 2, 4, 4]);
        var weight = unit.named_parameters().First(p => p.name == "conv_s.weight").parameter;
        var x64 = x.to(ScalarType.Float64).requires_grad_(true);
        var w64 = weight.detach().to(ScalarType.Float64);
        (nn.functional.conv3d(x64, w64, null, [1, 1, 1], [0, 1, 1]) * upstream.to(ScalarType.Float64)).sum().backward();
        var expected = x64.grad!.to(ScalarType.Float32);
        for (int i = 0; i < 5; i++)
        {
            PolluteAllocator();
            var xi = x.detach().requires_grad_(true);
            (unit.SpatialConv(xi) * upstream).sum().backward();
            var actual = xi.grad!;
            Assert.IsFalse(actual.isnan().any().item<bool>(), "NaN in the input gradient");
            Assert.IsTrue(actual.allclose(expected, rtol: 1e-4, atol: 1e-4), $"max |diff| {(actual - expected).abs().max().item<float>()}");
        }
    }
}
