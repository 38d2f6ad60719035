using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using TorchSharp;

namespace MLNetVideo.Tests.Structure;

/// <summary>Issue 16, item 2: the trainers' public surface is what a user calls. The networks and their modules are internal
/// (users reach them through a trained transformer or a family's descriptor), so no public method can take one.</summary>
[TestClass]
public sealed class PublicSurfaceTests
{
    [TestMethod]
    public void Trainers_ExportNoTorchModule_AndNoMemberTakesOrReturnsOne()
    {
        var assembly = typeof(VideoClassifierOnnx).Assembly;
        var exported = assembly.GetExportedTypes();
        var modules = exported.Where(t => typeof(torch.nn.Module).IsAssignableFrom(t)).Select(t => t.FullName).ToList();
        Assert.IsEmpty(modules, "public networks or modules: " + string.Join(", ", modules));
        // A public method that takes an internal network could not be called by a user; the compiler refuses internal types
        // in public signatures, so this guards the intent: the exporters take a trained transformer.
        var export = typeof(VideoClassifierOnnx).GetMethod(nameof(VideoClassifierOnnx.ExportNetworkGraph))!;
        Assert.AreEqual(typeof(VideoClassifierTransformer<>), export.GetParameters()[0].ParameterType.GetGenericTypeDefinition());
        var step = typeof(MoViNetOnnxExport).GetMethods().Single(m => m.Name == nameof(MoViNetOnnxExport.ExportStreamStep));
        Assert.AreEqual(typeof(VideoClassifierTransformer<MoViNetSpec>), step.GetParameters()[0].ParameterType);
        Assert.IsGreaterThan(20, exported.Length, "the walk saw the public types");
    }
}
