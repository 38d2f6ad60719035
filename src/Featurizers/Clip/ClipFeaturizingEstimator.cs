using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetVideo.Devices;
using MLNetVideo.Errors;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>
/// Runs a frozen CLIP image tower on every frame of a clip column and writes the unpooled token features of its last M
/// blocks (and their attention q/k, which EVL's inter-frame attention needs). Create it with
/// <c>mlContext.Transforms.FeaturizeVideoWithClip(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Estimator characteristics
/// | | |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No (the tower is frozen) |
/// | Input column data type | Known-size vector of <xref:System.Single> [T, 3, H, W] (or [3, T, H, W]), values in [0, 1] |
/// | Output column data type | Known-size vector of <xref:System.Single> [k·M, T, tokens, W] |
/// | Required NuGet in addition to Microsoft.ML | MLNetVideo.Featurizers + a TorchSharp runtime package |
/// | Exportable to ONNX | No |
///
/// ### Output layout
/// `k·M` slices, each [T, tokens, W] (tokens = grid² + 1, CLS first; W = the tower's width): slices 0..M−1 are the
/// outputs of blocks Layers−M..Layers−1 (before `ln_post`, oldest first); when `IncludeAttention` is set (k = 3),
/// slices M..2M−1 are those blocks' attention q and 2M..3M−1 their k, unscaled, heads concatenated along W (head h
/// occupies W/heads·h .. W/heads·(h+1)); otherwise k = 1.
///
/// ### Preprocessing
/// Each frame is resized so its short side is the tower's input size (bicubic; skipped when it already is), centre
/// cropped, and normalised with the weights' mean/std (OpenAI CLIP values unless the safetensors metadata has
/// `image_mean`/`image_std`). Frames are batched `FramesPerBatch` at a time under no_grad in eval mode; the weights
/// never change. A cursor that reads rows in order encodes the frames of `RowsPerBatch` clips together (it reads ahead
/// with a second cursor over the input); shuffled cursors and `PredictionEngine` go one clip at a time.
///
/// ### Feature cache
/// With `CacheFolder`, each clip's features are stored on disk under the SHA-256 of the clip's bytes and of every setting
/// that changes them (weights SHA-256 or random-init seed, variant, layers, q/k, preprocessing, input layout, format
/// version); a later Fit/Transform reads them instead of running the tower. Files are validated (length, key, dims,
/// payload SHA-256) and recomputed when damaged. See <xref:MLNetVideo.Featurizers.Clip.ClipFeatureCache>.
///
/// ### Weights in the model zip
/// The zip records the weights file's path and SHA-256; loading re-reads the file and refuses a different one. With
/// `EmbedWeights` the weights are stored in the zip instead. Without `WeightsPath` the tower is random-initialised from
/// `Seed` (tests), and loading rebuilds the same weights.
/// ]]></format>
/// </remarks>
public sealed class ClipFeaturizingEstimator : IEstimator<ClipFeaturizingTransformer>
{
    internal static class Defaults
    {
        public const string OutputColumnName = "ClipFeatures";
        public const string InputColumnName = "Frames";
        public const ClipVisionVariant Variant = ClipVisionVariant.VitB16;
        public const int LayersKept = 4;
        public const bool IncludeAttention = true;
        public const int FramesPerBatch = 32;
        public const int RowsPerBatch = 4;
        public const int Seed = 1;
    }

    /// <summary>Settings of <see cref="ClipFeaturizingEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>Column to create (layout in the class remarks). Default "ClipFeatures".</summary>
        public string OutputColumnName { get; set; } = Defaults.OutputColumnName;

        /// <summary>Clip column: known-size Vector&lt;Single&gt; [T, 3, H, W] (or [3, T, H, W]), RGB in [0, 1]. Default "Frames".</summary>
        public string InputColumnName { get; set; } = Defaults.InputColumnName;

        /// <summary>Dimension order of the input column. Default [T, 3, H, W].</summary>
        public ClipFrameLayout InputLayout { get; set; } = ClipFrameLayout.Tchw;

        /// <summary>The CLIP tower. Default ViT-B/16.</summary>
        public ClipVisionVariant Variant { get; set; } = Defaults.Variant;

        /// <summary>CLIP weights file (safetensors, or a PyTorch zip state dict) in the OpenAI or Hugging Face layout.
        /// <see langword="null"/> (default) random-initialises the tower from <see cref="Seed"/> (tests only). A model loaded from a
        /// zip looks the file up by name in <c>VideoModelLoadOptions.WeightsFolder</c>.</summary>
        public string? WeightsPath { get; set; }

        /// <summary>Key layout of <see cref="WeightsPath"/>. Default Auto (from the keys).</summary>
        public ClipCheckpointLayout CheckpointLayout { get; set; } = ClipCheckpointLayout.Auto;

        /// <summary>Store the weights inside the model zip instead of their path and SHA-256. Default false.</summary>
        public bool EmbedWeights { get; set; }

        /// <summary>Seed of the random initialisation used when <see cref="WeightsPath"/> is null. Default 1.</summary>
        public int Seed { get; set; } = Defaults.Seed;

        /// <summary>M, the number of last blocks whose features are kept (EVL uses 4). Default 4.</summary>
        public int LayersKept { get; set; } = Defaults.LayersKept;

        /// <summary>Also write the blocks' attention q and k (needed by EVL's inter-frame attention). Default true.</summary>
        public bool IncludeAttention { get; set; } = Defaults.IncludeAttention;

        /// <summary>Frames per forward pass, 1 to 4,096. Default 32.</summary>
        public int FramesPerBatch { get; set; } = Defaults.FramesPerBatch;

        /// <summary>Rows (clips) whose frames are encoded together: a cursor that reads the data in order reads this many clips
        /// ahead and runs their frames through the tower <see cref="FramesPerBatch"/> at a time. 1 = one clip at a time; at most 64. Default 4.</summary>
        public int RowsPerBatch { get; set; } = Defaults.RowsPerBatch;

        /// <summary>Folder of the on-disk feature cache, or null (default) for none. Keyed by the SHA-256 of each clip's bytes and
        /// of every setting that changes the features (see <see cref="ClipFeatureCache"/>); not bounded in size. A model loaded
        /// from a zip uses the loading application's folder instead (<c>VideoModelLoadOptions.CacheFolder</c>).</summary>
        public string? CacheFolder { get; set; }

        /// <summary>With <see cref="CacheFolder"/>: a Text column holding the path of the video each clip was decoded from (the
        /// <c>LoadVideoFrames</c> input column). The cache is then keyed by the file's SHA-256 and <see cref="CacheVideoSampling"/>
        /// instead of the clip's bytes, so a hit reads neither the clip nor the video. Null (default): key by the clip's bytes.</summary>
        public string? CacheVideoPathColumnName { get; set; }

        /// <summary>The <c>LoadVideoFrames</c> options that produced the clip column; required with
        /// <see cref="CacheVideoPathColumnName"/> (part of the key; its <c>VideoFolder</c> resolves relative paths). Its Mode must be
        /// Inference: random training sampling gives a different clip from the same file.</summary>
        public MLNetVideo.Transforms.Decoding.VideoFrameLoadingEstimator.Options? CacheVideoSampling { get; set; }

        /// <summary>"auto", "cpu" or "cuda[:n]". Default "auto".</summary>
        public string Device { get; set; } = DeviceResolver.Auto;

        internal void Validate(bool checkWeightsFile = true)
        {
            OptionChecks.NotEmpty(OutputColumnName, nameof(OutputColumnName));
            OptionChecks.NotEmpty(InputColumnName, nameof(InputColumnName));
            OptionChecks.Defined(InputLayout, nameof(InputLayout));
            OptionChecks.Defined(Variant, nameof(Variant));
            OptionChecks.Defined(CheckpointLayout, nameof(CheckpointLayout));
            OptionChecks.InRange(LayersKept, 1, ClipVisionSpecs.Get(Variant).Layers, nameof(LayersKept));
            ClipFeaturizerRules.CheckBatching(FramesPerBatch, RowsPerBatch);
            if (CacheFolder is not null) OptionChecks.NotEmpty(CacheFolder, nameof(CacheFolder));
            if (CacheVideoPathColumnName is not null)
            {
                OptionChecks.NotEmpty(CacheVideoPathColumnName, nameof(CacheVideoPathColumnName));
                if (CacheFolder is null || CacheVideoSampling is null)
                    throw new ArgumentOutOfRangeException(nameof(CacheVideoPathColumnName), CacheVideoPathColumnName,
                        "CacheVideoPathColumnName needs CacheFolder and CacheVideoSampling (the LoadVideoFrames options that produced the clips).");
                _ = ClipFeatureCache.SamplingKey(CacheVideoSampling);
            }
            DeviceResolver.Validate(Device, nameof(Device));
            if (checkWeightsFile && WeightsPath is not null && !File.Exists(WeightsPath))
                throw new FileNotFoundException($"The CLIP weights file '{WeightsPath}' does not exist.", WeightsPath);
        }

        internal Options Clone() => (Options)MemberwiseClone();
    }

    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal ClipFeaturizingEstimator(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options.Clone();
    }

    /// <summary>Builds the tower and loads its weights (no data is read).</summary>
    /// <param name="input">The data (its schema is checked).</param>
    /// <returns>The transformer.</returns>
    public ClipFeaturizingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = ClipFeaturizingTransformer.Create(_environment, _options);
        try
        {
            _ = transformer.GetOutputSchema(input.Schema);
        }
        catch
        {
            transformer.Dispose();
            throw;
        }
        return transformer;
    }

    /// <summary>Adds the feature column after checking the clip column.</summary>
    /// <param name="inputSchema">The input shape.</param>
    /// <returns>The output shape.</returns>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
        => ClipFeatureComputer.AppendFeatureColumn(inputSchema, _options.InputColumnName, _options.OutputColumnName);
}
