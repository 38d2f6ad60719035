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
    [DataRow("cuda:-1")]
    [DataRow("cuda:")]
    [DataRow("cuda:+1")]
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

    [TestMethod]
    [DataRow("auto", DeviceChoiceKind.Auto, null)]
    [DataRow(" CPU ", DeviceChoiceKind.Cpu, null)]
    [DataRow("cuda", DeviceChoiceKind.Cuda, null)]
    [DataRow("cuda:3", DeviceChoiceKind.Cuda, 3)]
    public void Parse_ReadsEachFormOnce_AndPrintsItBack(string text, DeviceChoiceKind kind, int? index)
    {
        var choice = DeviceChoice.Parse(text);
        Assert.AreEqual(new DeviceChoice(kind, index), choice);
        Assert.AreEqual(choice, DeviceChoice.Parse(choice.ToString()));
    }

    [TestMethod]
    public void ForScoring_TheLoadersChoiceWins_ElseTheTrainingDeviceWhenPresent_ElseTheCpu()
    {
        Assert.AreEqual(DeviceType.CPU, DeviceResolver.ForScoring("cpu", "cuda:0").type);
        Assert.AreEqual(DeviceType.CPU, DeviceResolver.ForScoring(null, "cpu").type);
        Assert.AreEqual(DeviceType.CPU, DeviceResolver.ForScoring(null, "not a device").type);
        var trainedOnGpu = DeviceResolver.ForScoring(null, "cuda:0");
        Assert.AreEqual(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, trainedOnGpu.type);
        Assert.ThrowsExactly<ArgumentException>(() => DeviceResolver.ForScoring("cuda:-1", "cpu"));
        Assert.AreEqual("cpu", DeviceResolver.Describe(torch.CPU));
    }
}
