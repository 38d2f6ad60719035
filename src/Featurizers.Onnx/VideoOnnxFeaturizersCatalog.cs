using Microsoft.ML;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Interop;

namespace MLNetVideo;

/// <summary>
/// Entry points of the ONNX route of the CLIP featurizer on <see cref="TransformsCatalog"/> (package MLNetVideo.Featurizers.Onnx,
/// kept apart so that other applications do not depend on ONNX Runtime).
/// </summary>
public static class VideoOnnxFeaturizersCatalog
{
    /// <summary>
    /// Creates an <see cref="OnnxClipFeaturizingEstimator"/>: the ONNX route of <c>FeaturizeVideoWithClip</c>. It runs an exported
    /// CLIP image encoder (<paramref name="modelPath"/>, e.g. written by <see cref="ClipOnnxExporter"/>) with ONNX Runtime on every
    /// frame of <paramref name="inputColumnName"/> and writes the same feature column, the input of <c>Trainers.Evl(...)</c>.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">The .onnx graph; it must expose <c>block{i}_out</c> (and <c>block{i}_q</c>, <c>block{i}_k</c>) for the kept blocks.</param>
    /// <param name="outputColumnName">Column to create: Vector&lt;Single, 3·M, T, tokens, W&gt; (block outputs, then q, then k).</param>
    /// <param name="inputColumnName">Clip column: Vector&lt;Single, T, 3, H, W&gt; with RGB in [0, 1].</param>
    /// <param name="layersKept">M, the number of last blocks kept.</param>
    /// <returns>The estimator.</returns>
    /// <example><code language="csharp">
    /// ClipOnnxExporter.ExportFromWeights("clip-vit-base-patch16.safetensors", ClipVisionVariant.VitB16, "clip-b16.onnx");
    /// var pipeline = mlContext.Transforms.LoadVideoFrames("Frames", "VideoPath", framesPerClip: 8)
    ///     .Append(mlContext.Transforms.FeaturizeVideoWithOnnxClip("clip-b16.onnx"))
    ///     .Append(mlContext.Transforms.Conversion.MapValueToKey("Label"))
    ///     .Append(mlContext.MulticlassClassification.Trainers.Evl("Label", "ClipFeatures"));
    /// </code></example>
    public static OnnxClipFeaturizingEstimator FeaturizeVideoWithOnnxClip(
        this TransformsCatalog catalog,
        string modelPath,
        string outputColumnName = ClipFeaturizingEstimator.Defaults.OutputColumnName,
        string inputColumnName = ClipFeaturizingEstimator.Defaults.InputColumnName,
        int layersKept = ClipFeaturizingEstimator.Defaults.LayersKept)
        => FeaturizeVideoWithOnnxClip(catalog, new OnnxClipFeaturizingEstimator.Options
        {
            ModelPath = modelPath,
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            LayersKept = layersKept,
        });

    /// <summary>Creates an <see cref="OnnxClipFeaturizingEstimator"/> with every option exposed.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">All settings; validated here.</param>
    /// <returns>The estimator.</returns>
    public static OnnxClipFeaturizingEstimator FeaturizeVideoWithOnnxClip(this TransformsCatalog catalog, OnnxClipFeaturizingEstimator.Options options)
        => new(MLNetHost.From(catalog), options);
}
