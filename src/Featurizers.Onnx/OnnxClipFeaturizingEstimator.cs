using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Interop;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>
/// The ONNX route of the CLIP featurizer: runs an exported CLIP image encoder with ONNX Runtime on every frame of a clip column
/// and writes the same column as <c>FeaturizeVideoWithClip</c> (same name, shape and layout), so <c>Trainers.Evl(...)</c> reads
/// it unchanged. Create it with <c>mlContext.Transforms.FeaturizeVideoWithOnnxClip(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Estimator characteristics
/// | | |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No (the graph is frozen) |
/// | Input column data type | Known-size vector of <xref:System.Single> [T, 3, H, W] (or [3, T, H, W]), values in [0, 1] |
/// | Output column data type | Known-size vector of <xref:System.Single> [k·M, T, tokens, W] |
/// | Required NuGet in addition to Microsoft.ML | MLNetVideo.Featurizers, Microsoft.ML.OnnxRuntime (native runtime), a TorchSharp runtime package (preprocessing) |
/// | Exportable to ONNX | No |
///
/// ### What the graph must expose
/// One float input [N, 3, S, S] (N may be dynamic; normalised images), and for each kept block i (the last M of the tower's
/// blocks, 0-based) the outputs `block{i}_out`, and with `IncludeAttention` `block{i}_q` and `block{i}_k`, each
/// [N, tokens, W]: exactly what <xref:MLNetVideo.Featurizers.Onnx.ClipOnnxExporter> writes. Fit fails with an
/// <xref:System.InvalidOperationException> naming every missing output, wrong dimension or unexpected input.
///
/// ### Preprocessing, batching, cache
/// As in `FeaturizeVideoWithClip`: short-side bicubic resize and centre crop when the frames are not S², then the CLIP mean/std
/// (from the graph's metadata `image_mean`/`image_std` when present, else OpenAI's, unless set in the options); frames go
/// through the graph `FramesPerBatch` at a time, `RowsPerBatch` clips together on in-order cursors; `CacheFolder` enables the
/// on-disk feature cache (<xref:MLNetVideo.Featurizers.Clip.ClipFeatureCache>).
///
/// ### The graph in the model zip
/// The zip records the .onnx file's path and SHA-256; loading re-reads the file and refuses a different one. With
/// `EmbedModel` the graph's bytes are stored in the zip instead.
/// ]]></format>
/// </remarks>
public sealed class OnnxClipFeaturizingEstimator : IEstimator<OnnxClipFeaturizingTransformer>
{
    internal static class Defaults
    {
        public const int LayersKept = 4;
        public const int FramesPerBatch = 32;
        public const int RowsPerBatch = 4;
    }

    /// <summary>Settings of <see cref="OnnxClipFeaturizingEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>Column to create (the layout of <c>FeaturizeVideoWithClip</c>'s). Default "ClipFeatures".</summary>
        public string OutputColumnName { get; set; } = "ClipFeatures";

        /// <summary>Clip column: known-size Vector&lt;Single&gt; [T, 3, H, W] (or [3, T, H, W]), RGB in [0, 1]. Default "Frames".</summary>
        public string InputColumnName { get; set; } = "Frames";

        /// <summary>Dimension order of the input column. Default [T, 3, H, W].</summary>
        public ClipFrameLayout InputLayout { get; set; } = ClipFrameLayout.Tchw;

        /// <summary>The exported CLIP image encoder (.onnx). Required.</summary>
        public string ModelPath { get; set; } = "";

        /// <summary>The CLIP tower the graph encodes (gives the input size, tokens, width and block count). Null (default) reads it
        /// from the graph's metadata <c>clip_variant</c>, which <see cref="ClipOnnxExporter"/> writes.</summary>
        public ClipVisionVariant? Variant { get; set; }

        /// <summary>M, the number of last blocks whose features are kept. Default 4.</summary>
        public int LayersKept { get; set; } = Defaults.LayersKept;

        /// <summary>Also write the blocks' attention q and k (EVL's inter-frame attention needs them). Default true.</summary>
        public bool IncludeAttention { get; set; } = true;

        /// <summary>Per-channel RGB mean; null (default) = the graph's metadata <c>image_mean</c>, else OpenAI's.</summary>
        public float[]? ImageMean { get; set; }

        /// <summary>Per-channel RGB std; null (default) = the graph's metadata <c>image_std</c>, else OpenAI's.</summary>
        public float[]? ImageStd { get; set; }

        /// <summary>Frames per graph run. Default 32.</summary>
        public int FramesPerBatch { get; set; } = Defaults.FramesPerBatch;

        /// <summary>Clips whose frames are encoded together on in-order cursors (1 = one clip at a time). Default 4.</summary>
        public int RowsPerBatch { get; set; } = Defaults.RowsPerBatch;

        /// <summary>Folder of the on-disk feature cache, or null (default) for none.</summary>
        public string? CacheFolder { get; set; }

        /// <summary>With <see cref="CacheFolder"/>: a Text column holding the path of the video each clip was decoded from (the
        /// <c>LoadVideoFrames</c> input column). The cache is then keyed by the file's SHA-256 and <see cref="CacheVideoSampling"/>
        /// instead of the clip's bytes, so a hit reads neither the clip nor the video. Null (default): key by the clip's bytes.</summary>
        public string? CacheVideoPathColumnName { get; set; }

        /// <summary>The <c>LoadVideoFrames</c> options that produced the clip column; required with
        /// <see cref="CacheVideoPathColumnName"/> (part of the key; its <c>VideoFolder</c> resolves relative paths). Its Mode must be
        /// Inference: random training sampling gives a different clip from the same file.</summary>
        public MLNetVideo.Transforms.Decoding.VideoFrameLoadingEstimator.Options? CacheVideoSampling { get; set; }

        /// <summary>Store the graph's bytes inside the model zip instead of its path and SHA-256. Default false.</summary>
        public bool EmbedModel { get; set; }

        /// <summary>ONNX Runtime intra-op threads, 0 to 256; 0 (default) = ONNX Runtime's choice.</summary>
        public int IntraOpThreads { get; set; }

        /// <summary>Most intra-op threads.</summary>
        internal const int MaxIntraOpThreads = 256;

        internal void Validate(bool checkModelFile = true)
        {
            OptionChecks.NotEmpty(OutputColumnName, nameof(OutputColumnName));
            OptionChecks.NotEmpty(InputColumnName, nameof(InputColumnName));
            OptionChecks.Defined(InputLayout, nameof(InputLayout));
            OptionChecks.NotEmpty(ModelPath, nameof(ModelPath));
            if (Variant is { } v)
            {
                OptionChecks.Defined(v, nameof(Variant));
                OptionChecks.InRange(LayersKept, 1, ClipVisionSpecs.Get(v).Layers, nameof(LayersKept));
            }
            OptionChecks.Positive(LayersKept, nameof(LayersKept));
            ClipFeaturizerRules.CheckBatching(FramesPerBatch, RowsPerBatch);
            OptionChecks.InRange(IntraOpThreads, 0, MaxIntraOpThreads, nameof(IntraOpThreads));
            if (CacheFolder is not null) OptionChecks.NotEmpty(CacheFolder, nameof(CacheFolder));
            if (CacheVideoPathColumnName is not null)
            {
                OptionChecks.NotEmpty(CacheVideoPathColumnName, nameof(CacheVideoPathColumnName));
                if (CacheFolder is null || CacheVideoSampling is null)
                    throw new ArgumentOutOfRangeException(nameof(CacheVideoPathColumnName), CacheVideoPathColumnName,
                        "CacheVideoPathColumnName needs CacheFolder and CacheVideoSampling (the LoadVideoFrames options that produced the clips).");
                _ = ClipFeatureCache.SamplingKey(CacheVideoSampling);
            }
            foreach (var (values, name) in new[] { (ImageMean, nameof(ImageMean)), (ImageStd, nameof(ImageStd)) })
                if (values is not null && (values.Length != 3 || values.Any(v => !float.IsFinite(v)) || (name == nameof(ImageStd) && values.Any(s => !(s > 0)))))
                    throw new ArgumentOutOfRangeException(name, $"{name} must have 3 finite values (std > 0).");
            if (checkModelFile && !File.Exists(ModelPath))
                throw new FileNotFoundException($"The ONNX model '{ModelPath}' does not exist.", ModelPath);
        }

        internal Options Clone() => (Options)MemberwiseClone();
    }

    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal OnnxClipFeaturizingEstimator(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options.Clone();
    }

    /// <summary>Opens the graph and checks it against the CLIP contract (no data is read).</summary>
    /// <param name="input">The data (its schema is checked).</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="InvalidOperationException">The graph lacks an output, has a wrong dimension or input.</exception>
    public OnnxClipFeaturizingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = OnnxClipFeaturizingTransformer.Create(_environment, _options);
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
