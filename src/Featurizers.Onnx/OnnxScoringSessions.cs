using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetVideo.Trainers;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>The ONNX Runtime session provider of the trained classifiers' <see cref="ScoringBackend"/>: MLNetVideo.Trainers
/// finds it by name when this package is deployed (or call <see cref="Register"/>).</summary>
public static class OnnxScoringSessions
{
    /// <summary>Sets <see cref="OnnxScoringRuntime.SessionFactory"/> to ONNX Runtime on the CPU (unless already set).</summary>
    public static void Register() => OnnxScoringRuntime.SessionFactory ??= Create;

    /// <summary>Opens a CPU session on <paramref name="model"/>.</summary>
    /// <param name="model">The ONNX model bytes.</param>
    /// <param name="inputName">The graph input fed with the rows.</param>
    /// <param name="outputName">The graph output returned.</param>
    /// <param name="intraOpThreads">Intra-op threads (0 = <see cref="VideoRuntime.Threads"/>).</param>
    /// <returns>The session.</returns>
    public static IOnnxScoringSession Create(byte[] model, string inputName, string outputName, int intraOpThreads)
        => new Session(model, inputName, outputName, intraOpThreads);

    private sealed class Session : IOnnxScoringSession
    {
        private readonly InferenceSession _session;
        private readonly string _input;
        private readonly string _output;
        private readonly int[] _rowShape;

        public Session(byte[] model, string inputName, string outputName, int intraOpThreads)
        {
            using var options = new SessionOptions { InterOpNumThreads = 1, IntraOpNumThreads = intraOpThreads > 0 ? intraOpThreads : VideoRuntime.Threads };
            // ONNX Runtime's idle threads spin by default; on a shared CPU that costs what OMP_WAIT_POLICY=PASSIVE saves libtorch.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            _session = new InferenceSession(model, options);
            if (!_session.InputMetadata.TryGetValue(inputName, out var input) || !_session.OutputMetadata.ContainsKey(outputName))
            {
                _session.Dispose();
                throw new InvalidOperationException($"The scoring graph lacks the input '{inputName}' or the output '{outputName}'.");
            }
            _rowShape = input.Dimensions.Skip(1).ToArray();
            (_input, _output) = (inputName, outputName);
        }

        public float[] Run(float[] rows, int rowCount)
        {
            var tensor = new DenseTensor<float>(rows, [rowCount, .. _rowShape]);
            using var results = _session.Run([NamedOnnxValue.CreateFromTensor(_input, tensor)], [_output]);
            return results.First().AsTensor<float>().ToArray();
        }

        public void Dispose() => _session.Dispose();
    }
}
