using Microsoft.ML;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Interop;

namespace MLNetVideo;

/// <summary>Entry points for MLNetVideo's frozen video featurizers on <see cref="TransformsCatalog"/>.</summary>
public static class VideoFeaturizersCatalog
{
    /// <summary>
    /// Creates a <see cref="ClipFeaturizingEstimator"/> that runs a frozen CLIP image tower on every frame of
    /// <paramref name="inputColumnName"/> and writes the last <paramref name="layersKept"/> blocks' token features (and
    /// their attention q/k) to <paramref name="outputColumnName"/>, the input of <c>Trainers.Evl(...)</c>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Column to create: Vector&lt;Single, 3·M, T, tokens, W&gt; (block outputs, then q, then k).</param>
    /// <param name="inputColumnName">Clip column: Vector&lt;Single, T, 3, H, W&gt; with RGB in [0, 1].</param>
    /// <param name="weightsPath">CLIP weights (safetensors or PyTorch zip, OpenAI or Hugging Face layout); null = random init (tests).</param>
    /// <param name="variant">The CLIP tower; must match the weights.</param>
    /// <param name="layersKept">M, the number of last blocks kept.</param>
    /// <returns>The estimator.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.LoadVideoFrames("Frames", "VideoPath", framesPerClip: 8)
    ///     .Append(mlContext.Transforms.FeaturizeVideoWithClip("ClipFeatures", "Frames", "clip-vit-base-patch16.safetensors"))
    ///     .Append(mlContext.Transforms.Conversion.MapValueToKey("Label"))
    ///     .Append(mlContext.MulticlassClassification.Trainers.Evl("Label", "ClipFeatures"));
    /// </code></example>
    public static ClipFeaturizingEstimator FeaturizeVideoWithClip(
        this TransformsCatalog catalog,
        string outputColumnName = ClipFeaturizingEstimator.Defaults.OutputColumnName,
        string inputColumnName = ClipFeaturizingEstimator.Defaults.InputColumnName,
        string? weightsPath = null,
        ClipVisionVariant variant = ClipFeaturizingEstimator.Defaults.Variant,
        int layersKept = ClipFeaturizingEstimator.Defaults.LayersKept)
        => FeaturizeVideoWithClip(catalog, new ClipFeaturizingEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            WeightsPath = weightsPath,
            Variant = variant,
            LayersKept = layersKept,
        });

    /// <summary>Creates a <see cref="ClipFeaturizingEstimator"/> with every option exposed.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">All settings; validated here.</param>
    /// <returns>The estimator.</returns>
    public static ClipFeaturizingEstimator FeaturizeVideoWithClip(this TransformsCatalog catalog, ClipFeaturizingEstimator.Options options)
        => new(MLNetHost.From(catalog), options);
}
