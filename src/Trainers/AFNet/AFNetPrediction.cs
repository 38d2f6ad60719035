namespace MLNetVideo.Trainers.AFNet;

/// <summary>One clip's AFNet prediction.</summary>
/// <param name="Probabilities">Class probabilities (averaged over the row's views).</param>
/// <param name="SelectedFrameRatio">Fraction of frames the focal branches computed, averaged over the navigation modules and views.</param>
/// <param name="MultiplyAccumulates">Executed multiply-accumulates of the clip (per view, averaged), see <see cref="AFNetExecutionTrace"/>.</param>
public sealed record AFNetPrediction(float[] Probabilities, double SelectedFrameRatio, double MultiplyAccumulates);
