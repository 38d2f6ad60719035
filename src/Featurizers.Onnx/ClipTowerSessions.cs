using Microsoft.ML.OnnxRuntime;
using MLNetVideo.Featurizers.Clip;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>The ONNX Runtime route of the TorchSharp CLIP featurizer (<see cref="ClipTowerBackend"/>): exports the tower with
/// <see cref="ClipOnnxExporter"/> in memory and runs it. Found by name from MLNetVideo.Featurizers.</summary>
internal static class ClipTowerSessions
{
    /// <summary>Sets the featurizer's session factory (unless already set).</summary>
    public static void Register() => ClipTowerRuntime.Factory ??= (network, layersKept, includeAttention) => new Session(network, layersKept, includeAttention);

    private sealed class Session : IClipTowerSession
    {
        private readonly InferenceSession _session;
        private readonly string[] _outputs;
        private readonly ClipVisionSpec _spec;

        public Session(ClipVisionNetwork network, int layersKept, bool includeAttention)
        {
            _spec = network.Spec;
            string temp = Path.Combine(Path.GetTempPath(), $"mlnetvideo-clip-{Guid.NewGuid():N}.onnx");
            byte[] model;
            try
            {
                ClipOnnxExporter.Export(network, temp);
                model = File.ReadAllBytes(temp);
            }
            finally
            {
                File.Delete(temp);
            }
            using var options = new SessionOptions { InterOpNumThreads = 1, IntraOpNumThreads = VideoRuntime.Threads };
            // Idle threads do not spin, as libtorch's under MLNetVideo's passive OpenMP wait policy.
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
            _session = new InferenceSession(model, options);
            _outputs = [.. OnnxClipFeaturizer.EvlOutputNames(_spec.Layers, layersKept, includeAttention)];
        }

        public Tensor Encode(Tensor prepared)
            => OnnxClipFeaturizingTransformer.RunGraph(_session, ClipOnnxExporter.InputName, _outputs, prepared, _spec, "the CLIP tower's ONNX graph");

        public void Dispose() => _session.Dispose();
    }
}
