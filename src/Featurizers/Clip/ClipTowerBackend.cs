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
