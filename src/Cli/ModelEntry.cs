using Microsoft.ML;
using MLNetVideo.Trainers;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli;

/// <summary>
/// One model the CLI can train. Clips always reach the model as [3, T, H, W] (ClipLayout.Cthw) with the entry's pixel
/// normalisation; <see cref="CreateFeaturizer"/> (optional) runs before the trainer, for models on frozen features.
/// <see cref="Family"/> is the family's descriptor: what its network needs of a clip (checked before any data is read).
/// </summary>
internal sealed record ModelEntry(
    string Name,
    VideoBackbone Family,
    string Summary,
    PixelNormalization Normalization,
    int DefaultEpochs,
    Func<MLContext, ModelSettings, IEstimator<ITransformer>> CreateTrainer,
    Func<MLContext, ModelSettings, IEstimator<ITransformer>>? CreateFeaturizer = null)
{
    /// <summary>Epochs to train: the user's choice, else the entry's default.</summary>
    public int Epochs(ModelSettings settings) => settings.Epochs ?? DefaultEpochs;

    /// <summary>Checks <c>--frames</c> and <c>--size</c> against what the family's network needs of a clip (models on
    /// frozen features check their featurizer's input instead, when it runs).</summary>
    /// <exception cref="CliException">The clip is too short or too small for the family.</exception>
    public void CheckClip(int frames, int size)
    {
        if (CreateFeaturizer is not null) return;
        var needs = Family.Input;
        if (frames < needs.MinFrames || size < needs.MinFrameSize)
            throw new CliException($"--frames {frames} --size {size}: {Name} ({Family.FamilyName}) needs {needs}.");
    }
}
