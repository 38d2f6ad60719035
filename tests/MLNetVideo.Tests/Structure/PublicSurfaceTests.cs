using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using TorchSharp;

namespace MLNetVideo.Tests.Structure;

/// <summary>Issue 16, item 2: the packages' public surface is what a user calls. The networks and their modules are internal
/// (users reach them through a trained transformer, a fitted featurizer or a family's descriptor), so no public member can
/// take or return one.</summary>
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

    [TestMethod]
    public void EveryPackage_ExportsNoNetworkOrModule_AndClipExportTakesTheFittedFeaturizer()
    {
        var assemblies = PackagedLibraries.Load();
        Assert.IsGreaterThanOrEqualTo(7, assemblies.Count);
        Assert.Contains(typeof(ClipFeaturizingTransformer).Assembly, assemblies);
        Assert.Contains(typeof(ClipOnnxExporter).Assembly, assemblies);
        // A public network would let a public member take one (the compiler only refuses internal types in public signatures).
        var modules = assemblies.SelectMany(a => a.GetExportedTypes()).Where(t => typeof(torch.nn.Module).IsAssignableFrom(t)).Select(t => t.FullName).ToList();
        Assert.IsEmpty(modules, "public networks or modules (users hold the trained transformer or the fitted featurizer): " + string.Join(", ", modules));
        // The CLIP tower is exported through what a user holds: the fitted (or loaded) featurizer.
        var clipExport = typeof(ClipOnnxExporter).GetMethods().Where(m => m.Name == nameof(ClipOnnxExporter.Export)).ToList();
        Assert.HasCount(1, clipExport);
        Assert.AreEqual(typeof(ClipFeaturizingTransformer), clipExport[0].GetParameters()[0].ParameterType);
        Assert.IsFalse(typeof(ClipFeaturizingTransformer).Assembly.GetType("MLNetVideo.Featurizers.Clip.ClipVisionNetwork", throwOnError: true)!.IsPublic);
    }
}
