using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Tests.Trainers.AFNet;
using MLNetVideo.Tests.Trainers.Tsm;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Core.Weights;

/// <summary>
/// Every network of the library exports a clean state dict: no key registered through a compiler-generated backing field
/// (an auto-property holding a module registers it a second time as <c>&lt;Name&gt;k__BackingField</c>), and no tensor
/// under two keys, so exports are standard and imports can be exact.
/// </summary>
[TestClass]
public sealed class NetworkStateDictHygieneTests
{
    private static IEnumerable<object[]> Networks()
    {
        yield return ["S3D", (Func<nn.Module>)(() => new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, 5, 0.25)))];
        yield return ["S3D-G", (Func<nn.Module>)(() => new S3DNetwork(S3DSpecs.For(S3DVariant.S3DG, 5, 0.25)))];
        foreach (var variant in Enum.GetValues<MoViNetVariant>())
            foreach (var mode in Enum.GetValues<MoViNetMode>())
                yield return [$"MoViNet {variant} {mode}", (Func<nn.Module>)(() => new MoViNetNetwork(MoViNetSpecs.For(variant, mode, 600)))];
        yield return ["MoViNet ensemble", (Func<nn.Module>)(() => new MoViNetEnsembleNetwork(MoViNetSpecs.For(MoViNetVariant.A0, MoViNetMode.Stream, 5, 0.25)))];
        foreach (var depth in new[] { TsmDepth.ResNet18, TsmDepth.ResNet50 })
            yield return [$"TSM {depth}", (Func<nn.Module>)(() => new TsmNetwork(TsmNetworkTests.Tiny(depth)))];
        foreach (var depth in new[] { AFNetDepth.ResNet18, AFNetDepth.ResNet50 })
            yield return [$"AFNet {depth}", (Func<nn.Module>)(() => new AFNetNetwork(AFNetNetworkTests.Tiny(depth)))];
        yield return ["EVL", (Func<nn.Module>)(() => new EvlNetwork(new EvlSpec { Layers = 2, Frames = 4, Tokens = 17, Width = 32, BackboneHeads = 2, DecoderHeads = 2, NumClasses = 5 }))];
        yield return ["CLIP", (Func<nn.Module>)(() => new ClipVisionNetwork(ClipVisionSpecs.Tiny))];
    }

    [TestMethod]
    [DynamicData(nameof(Networks))]
    public void StateDict_HasNoBackingFieldKeys_AndNoTensorUnderTwoKeys(string name, Func<nn.Module> create)
    {
        using var network = create();
        var stateDict = network.state_dict();
        Assert.IsNotEmpty(stateDict, name);
        var backing = stateDict.Keys.Where(k => k.Contains("k__BackingField", StringComparison.Ordinal)).ToList();
        Assert.IsEmpty(backing, $"{name}: {string.Join(", ", backing.Take(3))}");
        // The native tensor handle identifies a parameter or buffer: a module registered twice yields it under two keys.
        var owners = new Dictionary<IntPtr, string>();
        foreach (var (key, tensor) in stateDict)
            Assert.IsTrue(owners.TryAdd(tensor.Handle, key), $"{name}: '{key}' and '{owners.GetValueOrDefault(tensor.Handle)}' are the same tensor");
    }
}
