using MLNetVideo.Runtime;
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

/// <summary>A loaded scoring graph (see <see cref="VideoClassifierOnnx.ExportScoringGraph"/>): rows of the clip column in,
/// probabilities averaged over the views out.</summary>
public interface IOnnxScoringSession : IDisposable
{
    /// <summary>Scores <paramref name="rowCount"/> rows.</summary>
    /// <param name="rows">The rows' clip values, one after the other.</param>
    /// <param name="rowCount">How many rows <paramref name="rows"/> holds.</param>
    /// <returns>[rowCount × classes] probabilities.</returns>
    float[] Run(float[] rows, int rowCount);
}

/// <summary>Where the trained transformers find ONNX Runtime. MLNetVideo.Trainers does not reference ONNX Runtime (exporting
/// only writes protobuf); the session provider lives in MLNetVideo.Featurizers.Onnx, which is looked up by its fixed
/// assembly name when this property is not set.</summary>
public static class OnnxScoringRuntime
{
    private static readonly OptionalProvider Provider = new("MLNetVideo.Featurizers.Onnx.OnnxScoringSessions, MLNetVideo.Featurizers.Onnx");

    /// <summary>Creates a session for an ONNX model (bytes), its input name, its output name and the intra-op thread count
    /// (0 = <see cref="VideoRuntime.Threads"/>). Null until set or discovered.</summary>
    public static Func<byte[], string, string, int, IOnnxScoringSession>? SessionFactory { get; set; }

    /// <summary>Intra-op threads of the sessions the transformers create (0 = <see cref="VideoRuntime.Threads"/>, the torch
    /// thread count). Idle session threads do not spin, like libtorch's under MLNetVideo's passive OpenMP wait policy.</summary>
    public static int IntraOpThreads { get; set; }

    /// <summary>The factory, looking for MLNetVideo.Featurizers.Onnx once if none was set.</summary>
    internal static Func<byte[], string, string, int, IOnnxScoringSession>? Resolve()
    {
        if (SessionFactory is { } factory)
            return factory;
        Provider.RegisterOnce();
        return SessionFactory;
    }
}
