using MLNetVideo.Devices;
using TorchSharp;

namespace MLNetVideo.Tests.Core;

[TestClass]
public sealed class DeviceResolverTests
{
    [TestMethod]
    [DataRow("cpu")]
    [DataRow(" CPU ")]
    public void Cpu_ResolvesToCpu(string spec)
        => Assert.AreEqual(DeviceType.CPU, DeviceResolver.Resolve(spec).type);

    [TestMethod]
    [DataRow("auto")]
    [DataRow(null)]
    [DataRow("")]
    public void Auto_PicksCudaOnlyWhenAvailable(string? spec)
    {
        var expected = torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU;
        Assert.AreEqual(expected, DeviceResolver.Resolve(spec).type);
    }

    [TestMethod]
    public void Cuda_WithoutCuda_ExplainsWhichPackageToReference()
    {
        if (torch.cuda.is_available())
        {
            Assert.AreEqual(DeviceType.CUDA, DeviceResolver.Resolve("cuda:0").type);
            return;
        }
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => DeviceResolver.Resolve("cuda:0"));
        StringAssert.Contains(e.Message, "TorchSharp-cuda");
        StringAssert.Contains(e.Message, "\"cuda:0\"");
    }

    [TestMethod]
    [DataRow("gpu")]
    [DataRow("cuda:x")]
    [DataRow("mps")]
    public void Unknown_IsRefusedWithTheAcceptedForms(string spec)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => DeviceResolver.Resolve(spec));
        StringAssert.Contains(e.Message, "\"auto\", \"cpu\", \"cuda\" or \"cuda:N\"");
        var v = Assert.ThrowsExactly<ArgumentException>(() => DeviceResolver.Validate(spec, "Device"));
        StringAssert.StartsWith(v.Message, "Device must be");
    }

    [TestMethod]
    [DataRow("auto")]
    [DataRow("cpu")]
    [DataRow("cuda")]
    [DataRow("cuda:1")]
    public void Validate_AcceptsEveryDocumentedForm(string spec)
    {
        DeviceResolver.Validate(spec, "Device");   // must not throw, even without CUDA
        Assert.IsTrue(spec.Length > 0);
    }
}
