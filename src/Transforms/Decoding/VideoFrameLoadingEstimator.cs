using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Interop;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Decodes the video (file or frame folder) whose path is in a text column and writes a fixed-size clip tensor:
/// sampling, resizing, cropping, flipping and pixel normalization, all in one lazy step.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Estimator characteristics
/// | | |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No |
/// | Input column data type | [String](xref:Microsoft.ML.Data.TextDataViewType): a video path (file or frame folder) |
/// | Output column data type | Known-size vector of [Single](xref:System.Single): [T, 3, H, W] (`Layout = Tchw`) or [3, T, H, W] (`Cthw`); with K = `ClipsPerVideo` × `SpatialCrops` > 1 views a leading K dimension: [K, T, 3, H, W] or [K, 3, T, H, W], view k = clip (k / SpatialCrops), crop (k % SpatialCrops); the column's `ClipLayout` text annotation names the dimensions |
/// | Required NuGet in addition to Microsoft.ML | MLNetVideo.Transforms; the `ffmpeg` and `ffprobe` programs (Debian: `apt-get install ffmpeg`) |
/// | Exportable to ONNX | No |
///
/// Frames are decoded when a cursor reads the row, by one FFmpeg process per row that decodes only the needed frames
/// (a select filter, plus input seeks across long gaps) and scales (and, for one crop, crops) them itself.
/// Sampling follows mmaction2's `SampleFrames` (TSN uniform segments, dense clips, multi-clip testing).
/// ]]></format>
/// </remarks>
public sealed class VideoFrameLoadingEstimator : IEstimator<VideoFrameLoadingTransformer>
{
    /// <summary>Default values shared by the catalog parameters and <see cref="Options"/>.</summary>
    internal static class Defaults
    {
        public const string OutputColumnName = "Frames";
        public const int FramesPerClip = 16;
        public const int FrameInterval = 4;
        public const int FrameSize = 224;
        public const int MaxResolution = 8192;
        public const double DecodeTimeoutSeconds = 60;
    }

    /// <summary>Settings of <see cref="VideoFrameLoadingEstimator"/>. Validated when the estimator is created.</summary>
    public sealed class Options
    {
        /// <summary>Column to create. Default "Frames".</summary>
        public string OutputColumnName { get; set; } = Defaults.OutputColumnName;

        /// <summary>Text column with video paths (files or frame folders). <see langword="null"/> (default) means <see cref="OutputColumnName"/>.</summary>
        public string? InputColumnName { get; set; }

        /// <summary>Folder that relative paths are resolved against (after <see cref="Path.GetFullPath(string, string)"/>).
        /// <see langword="null"/> (default): the current directory, and any path is accepted. A model loaded from a zip does
        /// not keep this value: the loading application sets it (<c>VideoModelLoadOptions.VideoFolder</c>).</summary>
        public string? VideoFolder { get; set; }

        /// <summary>Accept paths that resolve outside <see cref="VideoFolder"/> (absolute paths, "..").
        /// Default false: such a row fails with <see cref="VideoDecodingFailure.OutsideVideoFolder"/>, and so does a path whose
        /// real location (every symbolic link along it resolved) is outside the folder. A model loaded from a zip does not keep
        /// this value either (<c>VideoModelLoadOptions.AllowPathsOutsideVideoFolder</c>).</summary>
        public bool AllowPathsOutsideVideoFolder { get; set; }

        /// <summary>Numeric column (Single or Double) with the start, in seconds of the source video, of the segment each row samples
        /// from (the <c>StartSeconds</c> of <c>VideoDataset</c>'s annotation readers). Sampling then sees only the frames of
        /// [start, end), and the decoder seeks to the segment instead of decoding from the start of the file. NaN: the start of
        /// the video. <see langword="null"/> (default): no column, the whole video.</summary>
        public string? StartSecondsColumnName { get; set; }

        /// <summary>Numeric column (Single or Double) with the end of the segment in seconds (exclusive); NaN: the end of the
        /// video. <see langword="null"/> (default): no column. A segment without frames (start past the end, end ≤ start) is a
        /// <see cref="VideoDecodingFailure.NoFrames"/> failure, handled by <see cref="OnDecodeError"/>.</summary>
        public string? EndSecondsColumnName { get; set; }

        /// <summary>How frames are chosen. Default <see cref="SamplingMode.Dense"/>.</summary>
        public SamplingMode Sampling { get; set; } = SamplingMode.Dense;

        /// <summary>Frames per clip, T (clip_len; segments for <see cref="SamplingMode.Uniform"/>; the maximum for
        /// <see cref="SamplingMode.All"/>). Default 16.</summary>
        public int FramesPerClip { get; set; } = Defaults.FramesPerClip;

        /// <summary>Step between the frames of a dense clip, in frames (at <see cref="TargetFps"/> when set). Default 4.</summary>
        public int FrameInterval { get; set; } = Defaults.FrameInterval;

        /// <summary>Where a dense clip starts. Default <see cref="ClipStart.Auto"/> (random when training, centred at inference).</summary>
        public ClipStart ClipStart { get; set; } = ClipStart.Auto;

        /// <summary>What a clip does past the last frame of a short video. Default <see cref="OutOfBoundsPolicy.Loop"/>.</summary>
        public OutOfBoundsPolicy OutOfBounds { get; set; } = OutOfBoundsPolicy.Loop;

        /// <summary>Clips per video for multi-view testing (evenly spread). Default 1.</summary>
        public int ClipsPerVideo { get; set; } = 1;

        /// <summary>Spatial crops per clip: 1 (default) or 3 (left/centre/right along the long side, mmaction2's ThreeCrop).
        /// 3 needs <see cref="ResizeMode.ShortSideThenCrop"/>.</summary>
        public int SpatialCrops { get; set; } = 1;

        /// <summary>Resample the video to this frame rate before sampling (frames/s); <see langword="null"/> (default): the source rate.</summary>
        public double? TargetFps { get; set; }

        /// <summary>Output height and width in pixels (square). Default 224.</summary>
        public int FrameSize { get; set; } = Defaults.FrameSize;

        /// <summary>How frames are brought to <see cref="FrameSize"/>. Default <see cref="ResizeMode.ShortSideThenCrop"/>.</summary>
        public ResizeMode Resize { get; set; } = ResizeMode.ShortSideThenCrop;

        /// <summary>Short side after resizing, in pixels, for <see cref="ResizeMode.ShortSideThenCrop"/>;
        /// <see langword="null"/> (default): round(FrameSize × 256 / 224) (256 for 224, 128 for 112), or FrameSize with three crops.</summary>
        public int? ShortSideSize { get; set; }

        /// <summary>Mirror the clip left-right with probability ½ when training. Default false: keep it off for
        /// direction-sensitive tasks (left/right motion, Something-Something).</summary>
        public bool HorizontalFlip { get; set; }

        /// <summary>Pixel normalization. Default <see cref="PixelNormalization.ZeroToOne"/>.</summary>
        public PixelNormalization Normalization { get; set; } = PixelNormalization.ZeroToOne;

        /// <summary>Per-channel mean (RGB, values for pixels in [0, 1]) for <see cref="PixelNormalization.Custom"/>.</summary>
        public float[]? CustomMean { get; set; }

        /// <summary>Per-channel std (RGB, positive) for <see cref="PixelNormalization.Custom"/>.</summary>
        public float[]? CustomStd { get; set; }

        /// <summary>Channel order. Default <see cref="ChannelOrder.Rgb"/>.</summary>
        public ChannelOrder Channels { get; set; } = ChannelOrder.Rgb;

        /// <summary>Dimension order of a clip. Default <see cref="ClipLayout.Tchw"/>.</summary>
        public ClipLayout Layout { get; set; } = ClipLayout.Tchw;

        /// <summary>Training (seeded random offsets, starts, crops and flips) or inference (deterministic). Default inference.</summary>
        public VideoLoadingMode Mode { get; set; } = VideoLoadingMode.Inference;

        /// <summary>Seed of the training-time randomness; <see langword="null"/> (default): the MLContext's seed, else 1.
        /// Randomness for a row depends only on the seed and the row's position, so results repeat.</summary>
        public int? Seed { get; set; }

        /// <summary>What to do with a row whose video cannot be read. Default <see cref="DecodeErrorPolicy.Throw"/>.</summary>
        public DecodeErrorPolicy OnDecodeError { get; set; } = DecodeErrorPolicy.Throw;

        /// <summary>Longest time the decoder may take for one row (probe and decode separately). Default 60 s; at most
        /// <see cref="VideoDecodingLimits.MaxDecodeTimeout"/>.</summary>
        public TimeSpan DecodeTimeout { get; set; } = TimeSpan.FromSeconds(Defaults.DecodeTimeoutSeconds);

        /// <summary>Largest accepted source width or height in pixels; larger videos fail with
        /// <see cref="VideoDecodingFailure.TooLarge"/>. Default 8192. This and the other limits may not exceed the process's
        /// <see cref="VideoDecoding.Limits"/>; a loaded model's saved limits are lowered to them.</summary>
        public int MaxResolution { get; set; } = Defaults.MaxResolution;

        /// <summary>Largest accepted frame count of a source video (or number of images of a frame folder); longer sources fail
        /// with <see cref="VideoDecodingFailure.TooLarge"/> before decoding. Default 1,000,000 (about 9 h at 30 frames/s).</summary>
        public int MaxFrames { get; set; } = DecodingLimits.MaxFrames;

        /// <summary>Largest accepted size in bytes of a video file (or of all images of a frame folder together); larger sources fail
        /// with <see cref="VideoDecodingFailure.TooLarge"/> before the decoder starts. Default 64 GiB.</summary>
        public long MaxFileBytes { get; set; } = DecodingLimits.MaxFileBytes;

        /// <summary>Rows a cursor decodes ahead on a background worker while the caller computes on the current row (the
        /// next rows' ffprobe and ffmpeg processes overlap the network). 0 turns read-ahead off. Default 2, at most
        /// <see cref="MaxReadAheadRows"/>; fewer when the rows are large (the rows ahead hold at most 1 GiB). Cursors that
        /// read in a random order (shuffled) and single-row contexts (<c>PredictionEngine</c>) never read ahead.</summary>
        public int ReadAheadRows { get; set; } = 2;

        /// <summary>The largest accepted <see cref="ReadAheadRows"/>.</summary>
        public const int MaxReadAheadRows = 16;

        /// <summary>Tests only: a stand-in ffmpeg. Internal, so never written to or read from a model zip: the programs that
        /// run are the process's (<see cref="VideoDecoding.FfmpegPath"/>, <see cref="VideoDecoding.FfprobePath"/>).</summary>
        internal string? FfmpegOverride { get; set; }

        /// <summary>Tests only: a stand-in ffprobe.</summary>
        internal string? FfprobeOverride { get; set; }

        /// <summary>Views per row: <see cref="ClipsPerVideo"/> × <see cref="SpatialCrops"/>.</summary>
        internal int Views => ClipsPerVideo * SpatialCrops;

        /// <summary>The short side used for resizing.</summary>
        internal int EffectiveShortSide => ShortSideSize
            ?? (SpatialCrops > 1 ? FrameSize : (int)Math.Round(FrameSize * 256.0 / 224.0));

        /// <summary>The output dimensions.</summary>
        internal int[] Dimensions()
        {
            int[] clip = Layout == ClipLayout.Tchw ? [FramesPerClip, 3, FrameSize, FrameSize] : [3, FramesPerClip, FrameSize, FrameSize];
            return Views > 1 ? [Views, .. clip] : clip;
        }

        internal void Validate()
        {
            OptionChecks.NotEmpty(OutputColumnName, nameof(OutputColumnName));
            if (InputColumnName is not null)
                OptionChecks.NotEmpty(InputColumnName, nameof(InputColumnName));
            if (StartSecondsColumnName is not null)
                OptionChecks.NotEmpty(StartSecondsColumnName, nameof(StartSecondsColumnName));
            if (EndSecondsColumnName is not null)
                OptionChecks.NotEmpty(EndSecondsColumnName, nameof(EndSecondsColumnName));
            OptionChecks.Defined(Sampling, nameof(Sampling));
            OptionChecks.Defined(ClipStart, nameof(ClipStart));
            OptionChecks.Defined(OutOfBounds, nameof(OutOfBounds));
            OptionChecks.Defined(Resize, nameof(Resize));
            OptionChecks.Defined(Normalization, nameof(Normalization));
            OptionChecks.Defined(Channels, nameof(Channels));
            OptionChecks.Defined(Layout, nameof(Layout));
            OptionChecks.Defined(Mode, nameof(Mode));
            OptionChecks.Defined(OnDecodeError, nameof(OnDecodeError));
            OptionChecks.Positive(FramesPerClip, nameof(FramesPerClip));
            OptionChecks.Positive(FrameInterval, nameof(FrameInterval));
            OptionChecks.Positive(ClipsPerVideo, nameof(ClipsPerVideo));
            OptionChecks.Positive(FrameSize, nameof(FrameSize));
            OptionChecks.Positive(MaxResolution, nameof(MaxResolution));
            OptionChecks.Positive(MaxFrames, nameof(MaxFrames));
            OptionChecks.Positive(MaxFileBytes, nameof(MaxFileBytes));
            if (ReadAheadRows is < 0 or > MaxReadAheadRows)
                throw new ArgumentOutOfRangeException(nameof(ReadAheadRows), ReadAheadRows, $"ReadAheadRows must be between 0 and {MaxReadAheadRows}; got {ReadAheadRows}.");
            if (SpatialCrops is not (1 or 3))
                throw new ArgumentOutOfRangeException(nameof(SpatialCrops), SpatialCrops, $"SpatialCrops must be 1 or 3; got {SpatialCrops}.");
            if (SpatialCrops == 3 && Resize != ResizeMode.ShortSideThenCrop)
                throw new ArgumentException("SpatialCrops = 3 needs Resize = ShortSideThenCrop (three crops of a stretched frame would be identical).", nameof(SpatialCrops));
            if (Sampling == SamplingMode.All && ClipsPerVideo != 1)
                throw new ArgumentException($"Sampling = All takes every frame once, so ClipsPerVideo must be 1; got {ClipsPerVideo}.", nameof(ClipsPerVideo));
            if (ShortSideSize is int shortSide && shortSide < FrameSize)
                throw new ArgumentOutOfRangeException(nameof(ShortSideSize), shortSide, $"ShortSideSize must be at least FrameSize ({FrameSize}); got {shortSide}.");
            if (TargetFps is double fps)
                OptionChecks.Positive(fps, nameof(TargetFps));
            if (!(DecodeTimeout > TimeSpan.Zero) || DecodeTimeout > TimeSpan.FromDays(1))
                throw new ArgumentOutOfRangeException(nameof(DecodeTimeout), DecodeTimeout, $"DecodeTimeout must be between 0 and 1 day; got {DecodeTimeout}.");
            var limits = VideoDecoding.Limits;
            CheckWithinProcessLimit(MaxResolution, limits.MaxResolution, nameof(MaxResolution));
            CheckWithinProcessLimit(MaxFrames, limits.MaxFrames, nameof(MaxFrames));
            CheckWithinProcessLimit(MaxFileBytes, limits.MaxFileBytes, nameof(MaxFileBytes));
            if (DecodeTimeout > limits.MaxDecodeTimeout)
                throw new ArgumentOutOfRangeException(nameof(DecodeTimeout), DecodeTimeout,
                    $"DecodeTimeout may not exceed this process's VideoDecoding.Limits.MaxDecodeTimeout ({limits.MaxDecodeTimeout}); got {DecodeTimeout}. Raise VideoDecoding.Limits first.");
            if (Normalization == PixelNormalization.Custom)
            {
                if (CustomMean is not { Length: 3 } || CustomStd is not { Length: 3 })
                    throw new ArgumentException("Normalization = Custom needs CustomMean and CustomStd with 3 values each (RGB).", nameof(CustomMean));
                if (CustomStd.Any(s => !(s > 0)) || CustomMean.Any(m => !float.IsFinite(m)))
                    throw new ArgumentException($"CustomStd must be positive and CustomMean finite; got mean [{string.Join(", ", CustomMean)}], std [{string.Join(", ", CustomStd)}].", nameof(CustomStd));
            }
            long elements = Dimensions().Aggregate(1L, (a, d) => a * d);
            if (elements > Array.MaxLength)
                throw new ArgumentOutOfRangeException(nameof(FramesPerClip), elements,
                    $"One row would hold {elements} floats ({string.Join("×", Dimensions())}), more than a .NET array can; lower FramesPerClip, FrameSize, ClipsPerVideo or SpatialCrops.");
            if (elements * sizeof(float) > limits.MaxClipBytes)
                throw new ArgumentOutOfRangeException(nameof(FramesPerClip), elements,
                    $"One row would hold {elements * sizeof(float)} bytes ({string.Join("×", Dimensions())} floats), more than this process's VideoDecoding.Limits.MaxClipBytes ({limits.MaxClipBytes}); lower FramesPerClip, FrameSize, ClipsPerVideo or SpatialCrops, or raise the limit.");
        }

        private static void CheckWithinProcessLimit(long value, long maximum, string name)
        {
            if (value > maximum)
                throw new ArgumentOutOfRangeException(name, value,
                    $"{name} may not exceed this process's VideoDecoding.Limits.{name} ({maximum}); got {value}. Raise VideoDecoding.Limits first.");
        }

        /// <summary>What a model zip may not decide (the rule of issue 15): file locations come from the loading application,
        /// limits only tighten the process's maxima. Applied to settings read from a zip, before they are validated.</summary>
        internal void Rebind(VideoModelLoadOptions load)
        {
            VideoFolder = load.VideoFolder;
            AllowPathsOutsideVideoFolder = load.AllowPathsOutsideVideoFolder;
            var limits = VideoDecoding.Limits;
            MaxResolution = Math.Min(MaxResolution, limits.MaxResolution);
            MaxFrames = Math.Min(MaxFrames, limits.MaxFrames);
            MaxFileBytes = Math.Min(MaxFileBytes, limits.MaxFileBytes);
            if (DecodeTimeout > limits.MaxDecodeTimeout)
                DecodeTimeout = limits.MaxDecodeTimeout;
            FfmpegOverride = null;
            FfprobeOverride = null;
        }

        internal Options Clone()
        {
            var copy = (Options)MemberwiseClone();
            copy.CustomMean = CustomMean?.ToArray();
            copy.CustomStd = CustomStd?.ToArray();
            return copy;
        }
    }

    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal VideoFrameLoadingEstimator(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _environment = environment;
        _options = options.Clone();
        _options.InputColumnName ??= _options.OutputColumnName;
    }

    /// <summary>Checks the input schema and returns the transformer (nothing is learned from the data).</summary>
    /// <param name="input">The data; only its schema is read.</param>
    /// <returns>The transformer.</returns>
    public VideoFrameLoadingTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        VideoFrameLoadingTransformer.CheckInputs(input.Schema, _options);
        var options = _options.Clone();
        options.Seed = Determinism.Seeding.Resolve(options.Seed, _environment);
        return new VideoFrameLoadingTransformer(_environment, options);
    }

    /// <summary>The schema after the transform: the input columns plus the clip column.</summary>
    /// <param name="inputSchema">The input shape.</param>
    /// <returns>The output shape.</returns>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        string name = _options.InputColumnName!;
        var column = inputSchema.FirstOrDefault(c => c.Name == name);
        if (column.Name is null)
            throw SchemaErrors.ColumnNotFound("input", name);
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not TextDataViewType)
            throw SchemaErrors.Mismatch("input", name, "String", SchemaShapes.Describe(column));
        foreach (var segment in new[] { _options.StartSecondsColumnName, _options.EndSecondsColumnName }.OfType<string>())
        {
            var bound = inputSchema.FirstOrDefault(c => c.Name == segment);
            if (bound.Name is null)
                throw SchemaErrors.ColumnNotFound("segment", segment);
            if (bound.Kind != SchemaShape.Column.VectorKind.Scalar || bound.ItemType is not NumberDataViewType { RawType: var raw } || (raw != typeof(float) && raw != typeof(double)))
                throw SchemaErrors.Mismatch("segment", segment, "Single or Double", SchemaShapes.Describe(bound));
        }
        return SchemaShapes.Append(inputSchema, SchemaShapes.Column(_options.OutputColumnName, VideoFrameLoadingTransformer.OutputTypeOf(_options)));
    }
}
