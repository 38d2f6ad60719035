using MLNetVideo.Errors;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>Bounds and load rules shared by both CLIP featurizers (TorchSharp and ONNX).</summary>
internal static class ClipFeaturizerRules
{
    /// <summary>Most frames per forward pass.</summary>
    public const int MaxFramesPerBatch = 4096;

    /// <summary>Most clips read ahead and encoded together (a ViT-B/16 clip of 8 frames has ≈58 MB of features).</summary>
    public const int MaxRowsPerBatch = 64;

    /// <summary>Checks the batching options (they decide how much memory a cursor holds).</summary>
    public static void CheckBatching(int framesPerBatch, int rowsPerBatch)
    {
        OptionChecks.InRange(framesPerBatch, 1, MaxFramesPerBatch, "FramesPerBatch");
        OptionChecks.InRange(rowsPerBatch, 1, MaxRowsPerBatch, "RowsPerBatch");
    }

    /// <summary>The loading application's folders replace the zip's: the cache folder (none: no cache, so nothing is written,
    /// and no file-keyed cache either), and the video folder of a file-keyed cache.</summary>
    /// <returns>The cache folder, the video path column of a file-keyed cache and its sampling, to use from now on.</returns>
    public static (string? CacheFolder, string? VideoPathColumn, VideoFrameLoadingEstimator.Options? Sampling) Rebind(
        string? videoPathColumn, VideoFrameLoadingEstimator.Options? cacheVideoSampling, VideoModelLoadOptions load)
    {
        if (load.CacheFolder is null)
            return (null, null, null);
        if (cacheVideoSampling is not null)
        {
            cacheVideoSampling.VideoFolder = load.VideoFolder;
            cacheVideoSampling.AllowPathsOutsideVideoFolder = load.AllowPathsOutsideVideoFolder;
        }
        return (load.CacheFolder, videoPathColumn, cacheVideoSampling);
    }

    /// <summary>Refuses weights that are too small for the tower before the tower is built (so a zip cannot make the loader
    /// build a large tower for small weights): every public CLIP stores at least 2 bytes per parameter of its blocks.</summary>
    public static void CheckWeightsSize(long bytes, ClipVisionSpec spec, string what)
    {
        long minimum = 2 * (spec.ParameterCount - (long)spec.Width * spec.OutputDim);
        if (bytes < minimum)
            throw new InvalidDataException(
                $"The {what} holds {bytes} bytes, fewer than the {minimum} that CLIP {spec.Variant}'s parameters need at 2 bytes each: the settings and the weights do not belong together.");
    }

    /// <summary>Saved preprocessing must suit the tower: its image size, and three finite means and positive deviations.</summary>
    public static void CheckPreprocessing(ClipPreprocessing? preprocessing, ClipVisionSpec spec, string componentId)
    {
        if (preprocessing is null || preprocessing.ImageSize != spec.ImageSize || preprocessing.Mean is not { Length: 3 } || preprocessing.Std is not { Length: 3 }
            || preprocessing.Mean.Any(m => !float.IsFinite(m)) || preprocessing.Std.Any(d => !(d > 0) || !float.IsFinite(d)))
            throw new InvalidDataException(
                $"The preprocessing of {componentId} in the model zip does not suit CLIP {spec.Variant}: it needs an image size of {spec.ImageSize}, three finite means and three positive deviations.");
    }

    /// <summary>An <see cref="ArgumentException"/> about saved settings, as the <see cref="InvalidDataException"/> a load reports.</summary>
    public static InvalidDataException InvalidSettings(string componentId, ArgumentException e)
        => new($"The settings of {componentId} in the model zip are not valid: {e.Message}", e);
}
