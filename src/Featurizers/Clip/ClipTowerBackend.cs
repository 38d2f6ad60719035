using MLNetVideo.Runtime;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>What runs the frozen CLIP tower of <see cref="ClipFeaturizingTransformer"/>.</summary>
public enum ClipTowerBackend
{
    /// <summary>ONNX Runtime when the tower runs on the CPU and the MLNetVideo.Featurizers.Onnx package is deployed (the
    /// tower is exported in memory on first use); TorchSharp otherwise, and whenever the export or the session fails.
    /// ONNX Runtime's matrix multiplies are about twice as fast as libtorch's on CPUs where libtorch's oneMKL takes its
    /// generic path (see BENCHMARKS.md).</summary>
    Auto = 0,

    /// <summary>Always TorchSharp (libtorch).</summary>
    TorchSharp = 1,

    /// <summary>Always ONNX Runtime; an error when it cannot be used.</summary>
    OnnxRuntime = 2,
}

/// <summary>A CLIP tower loaded into ONNX Runtime: prepared frames [n, 3, S, S] (CPU) → [k·M, n, tokens, W] (CPU).</summary>
internal interface IClipTowerSession : IDisposable
{
    Tensor Encode(Tensor prepared);
}

/// <summary>Where the TorchSharp featurizer finds ONNX Runtime: MLNetVideo.Featurizers does not reference it; the session
/// provider lives in MLNetVideo.Featurizers.Onnx and is looked up once by its fixed assembly-qualified name.</summary>
internal static class ClipTowerRuntime
{
    private static readonly OptionalProvider Provider = new("MLNetVideo.Featurizers.Onnx.ClipTowerSessions, MLNetVideo.Featurizers.Onnx");

    /// <summary>Creates a session for a tower, the blocks kept, whether q/k are included and the intra-op thread count.</summary>
    internal static Func<ClipVisionNetwork, int, bool, IClipTowerSession>? Factory { get; set; }

    internal static Func<ClipVisionNetwork, int, bool, IClipTowerSession>? Resolve()
    {
        if (Factory is { } factory)
            return factory;
        Provider.RegisterOnce();
        return Factory;
    }
}
