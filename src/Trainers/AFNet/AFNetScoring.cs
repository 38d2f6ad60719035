using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// What a trained AFNet model adds to <see cref="VideoClassifierTransformer{TSpec}"/>: besides <c>Score</c> and
/// <c>PredictedLabel</c> its scoring writes <see cref="SelectedFrameRatioColumnName"/> (per row, the fraction of frames the
/// focal branches computed, mean over the navigation modules; scoring skips the unselected frames for real: gather,
/// compute, scatter), and <c>model.Predict(clip)</c> also returns the executed multiply-accumulates.
/// </summary>
public static class AFNetScoring
{
    /// <summary>Name of the extra output column: the selected-frame ratio of the row (<see cref="float"/>).</summary>
    public const string SelectedFrameRatioColumnName = "SelectedFrameRatio";

    extension(VideoClassifierTransformer<AFNetSpec> model)
    {
        /// <summary>Probabilities, selected-frame ratio and executed multiply-accumulates of one row.</summary>
        /// <param name="clip">One row of the clip column: K × view floats.</param>
        /// <returns>The prediction.</returns>
        public AFNetPrediction Predict(ReadOnlySpan<float> clip)
        {
            int viewSize = model.Info.Clip.ViewSize;
            if (clip.Length == 0 || clip.Length % viewSize != 0)
                throw new ArgumentException($"The row must hold K × {viewSize} floats ({model.Info.Clip with { Views = 1 }}); got {clip.Length}.", nameof(clip));
            int views = clip.Length / viewSize;
            var network = (AFNetNetwork)model.Network;
            using var inference = inference_mode();
            using var scope = NewDisposeScope();
            var x = model.Info.Clip.ToTensor(clip.ToArray(), views, model.Info.NetworkLayout, model.Device);
            var output = network.Run(x, new AFNetRunOptions { Trace = true });
            var probabilities = nn.functional.softmax(output.Logits, 1).mean([0L]).cpu().data<float>().ToArray();
            double ratio = output.SelectedFrameRatio.mean().cpu().item<float>();
            return new AFNetPrediction(probabilities, ratio, output.Trace!.MultiplyAccumulates.Average());
        }

        /// <summary>Executed multiply-accumulates of one view of <paramref name="clip"/> with every frame selected by every
        /// navigation module (what the focal branches would cost without skipping), the reference point of the ratio's saving.</summary>
        /// <param name="clip">One row of the clip column (its first view is used).</param>
        /// <returns>The MACs.</returns>
        public double AllFramesMultiplyAccumulates(ReadOnlySpan<float> clip)
        {
            int viewSize = model.Info.Clip.ViewSize;
            if (clip.Length < viewSize)
                throw new ArgumentException($"The row must hold at least {viewSize} floats ({model.Info.Clip with { Views = 1 }}); got {clip.Length}.", nameof(clip));
            var network = (AFNetNetwork)model.Network;
            using var inference = inference_mode();
            using var scope = NewDisposeScope();
            var x = model.Info.Clip.ToTensor(clip[..viewSize].ToArray(), 1, model.Info.NetworkLayout, model.Device);
            var navigation = network.Run(x, new AFNetRunOptions { Trace = true });
            var forced = network.Run(x, new AFNetRunOptions { ForcedMasks = network.UniformMasks(1, 1.0), Trace = true });
            // The forced run skips the navigation modules; add what they cost when they run.
            var decided = network.Run(x, new AFNetRunOptions { ForcedMasks = navigation.Masks, Trace = true });
            return forced.Trace!.MultiplyAccumulates[0] + (navigation.Trace!.MultiplyAccumulates[0] - decided.Trace!.MultiplyAccumulates[0]);
        }
    }
}
