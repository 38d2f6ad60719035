using System.Reflection;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Interop;

namespace MLNetVideo.Tests.Featurizers.Onnx;

/// <summary>
/// The ONNX route left MLNetVideo.Featurizers for its own package (issue 18). Zips saved before name the old assembly for
/// the component; they must still find it, and nothing else may be redirected.
/// </summary>
[TestClass]
public sealed class OnnxPackageMoveTests
{
    private static Type Resolve(string componentId, string assemblyName)
    {
        var method = typeof(ModelZipBridge).GetMethod("ResolveComponent", BindingFlags.NonPublic | BindingFlags.Static)!;
        try
        {
            return (Type)method.Invoke(null, [componentId, assemblyName])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    [TestMethod]
    public void OnnxComponent_LivesInItsOwnAssembly_AndZipsNamingTheOldAssemblyStillFindIt()
    {
        Assert.AreEqual("MLNetVideo.Featurizers.Onnx", typeof(OnnxClipFeaturizingTransformer).Assembly.GetName().Name);
        Assert.AreEqual(typeof(OnnxClipFeaturizingTransformer), Resolve(OnnxClipFeaturizingTransformer.ComponentId, "MLNetVideo.Featurizers.Onnx"));
        Assert.AreEqual(typeof(OnnxClipFeaturizingTransformer), Resolve(OnnxClipFeaturizingTransformer.ComponentId, "MLNetVideo.Featurizers"));
    }

    [TestMethod]
    public void OtherComponents_AreNotRedirected()
    {
        // The TorchSharp CLIP featurizer stayed where it was; an unknown id under the old assembly name is still unknown.
        Assert.AreEqual("MLNetVideo.Featurizers", Resolve("MLNetVideo.ClipFeaturizer", "MLNetVideo.Featurizers").Assembly.GetName().Name);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Resolve("MLNetVideo.NoSuchComponent", "MLNetVideo.Featurizers"));
        StringAssert.Contains(e.Message, "is not known to MLNetVideo.Featurizers");
    }
}
