using MLNetVideo.Runtime;

namespace MLNetVideo.Trainers;

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
