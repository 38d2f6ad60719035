using MLNetVideo.Runtime;

namespace MLNetVideo.Featurizers.Clip;

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
