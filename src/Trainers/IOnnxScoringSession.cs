namespace MLNetVideo.Trainers;

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
