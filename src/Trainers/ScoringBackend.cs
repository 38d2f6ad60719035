namespace MLNetVideo.Trainers;

/// <summary>What runs a trained video classifier's network when it scores.</summary>
public enum ScoringBackend
{
    /// <summary>ONNX Runtime on the CPU when the network exports to ONNX (<see cref="VideoClassifierOnnx.CanExport"/>), the
    /// transformer has no extra output columns and an ONNX Runtime session provider is available (the
    /// MLNetVideo.Featurizers.Onnx package is deployed, or <see cref="OnnxScoringRuntime.SessionFactory"/> is set);
    /// TorchSharp otherwise (and always on CUDA).</summary>
    Auto = 0,

    /// <summary>Always TorchSharp (libtorch).</summary>
    TorchSharp = 1,

    /// <summary>Always ONNX Runtime; an error when the network cannot be exported or no session provider is available.</summary>
    OnnxRuntime = 2,
}
