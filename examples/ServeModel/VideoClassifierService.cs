// This file loads the model zip once and predicts; it has no training code (the shape Model Builder generates).
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Reporting;
using MLNetVideo.Transforms.Decoding;

namespace ServeModel;

/// <summary>
/// The model, loaded once, behind two thread-safe pooled prediction engines: one reads only from the private upload folder,
/// one only from the configured video folder. Both share the trained network; the saved <c>LoadVideoFrames</c> step is
/// re-created with the server's folder and limits, so a model zip never decides where this server reads from.
/// </summary>
public sealed class VideoClassifierService : IDisposable
{
    /// <summary>One video to classify.</summary>
    public sealed class ModelInput
    {
        /// <summary>Path of the video, relative to the folder the engine reads from.</summary>
        public string VideoPath { get; set; } = "";

        /// <summary>Unused for prediction, but part of the model's input schema (MapValueToKey on Label).</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>The model's answer.</summary>
    public sealed class ModelOutput
    {
        /// <summary>The most likely class.</summary>
        [ColumnName("PredictedLabel")]
        public string PredictedLabel { get; set; } = "";

        /// <summary>Probability of every class, in the order of <see cref="ClassNames"/>.</summary>
        public float[] Score { get; set; } = [];
    }

    private readonly MLContext _mlContext = new();
    private readonly ITransformer _loaded;
    private readonly PooledPredictionEngine<ModelInput, ModelOutput> _uploads;
    private readonly PooledPredictionEngine<ModelInput, ModelOutput>? _folder;
    private readonly SemaphoreSlim _slots;
    private readonly ServeModelOptions _options;
    private long _predictions;

    /// <summary>Loads the zip (a missing or damaged zip stops start-up with the reason).</summary>
    /// <param name="options">The settings.</param>
    /// <param name="uploadFolder">The private folder uploads are written to.</param>
    public VideoClassifierService(ServeModelOptions options, string uploadFolder)
    {
        _options = options;
        ModelPath = Path.GetFullPath(options.ModelPath);
        if (!File.Exists(ModelPath))
            throw new FileNotFoundException($"The model '{ModelPath}' does not exist. Train one first (bash scripts/run-sample.sh) or set --model.", ModelPath);
        _loaded = _mlContext.Model.Load(ModelPath, out var inputSchema);
        ClassNames = VideoEvaluation.ClassNames(_loaded.GetOutputSchema(inputSchema));
        _uploads = _mlContext.Model.CreatePooledPredictionEngine<ModelInput, ModelOutput>(ReadingFrom(uploadFolder, options.MaxUploadBytes));
        if (options.VideoFolder is { } folder)
            _folder = _mlContext.Model.CreatePooledPredictionEngine<ModelInput, ModelOutput>(ReadingFrom(Path.GetFullPath(folder), null));
        _slots = new SemaphoreSlim(options.MaxConcurrentPredictions > 0 ? options.MaxConcurrentPredictions : Environment.ProcessorCount);
    }

    /// <summary>Full path of the loaded zip.</summary>
    public string ModelPath { get; }

    /// <summary>The class names, in the order of the scores.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Predictions answered so far.</summary>
    public long PredictionCount => Interlocked.Read(ref _predictions);

    /// <summary>Whether <c>/predict/path</c> is on.</summary>
    public bool ServesFolder => _folder is not null;

    /// <summary>Checks the length of the video, then decodes and scores it (at most MaxConcurrentPredictions at a time).</summary>
    /// <param name="relativePath">The video, relative to the upload folder or the video folder.</param>
    /// <param name="fromUploads">Which folder.</param>
    /// <param name="cancellation">Stops waiting for a free slot.</param>
    /// <returns>Label and top-k.</returns>
    /// <exception cref="VideoDecodingException">The video cannot be read, is outside the folder or too large.</exception>
    /// <exception cref="VideoTooLongException">The video is longer than MaxVideoSeconds.</exception>
    public async Task<VideoPrediction> PredictAsync(string relativePath, bool fromUploads, CancellationToken cancellation)
    {
        var engine = fromUploads ? _uploads : _folder ?? throw new InvalidOperationException("No VideoFolder is configured.");
        await _slots.WaitAsync(cancellation);
        try
        {
            return await Task.Run(() =>
            {
                var output = engine.Predict(new ModelInput { VideoPath = relativePath });
                Interlocked.Increment(ref _predictions);
                var top = output.Score.Select((score, index) => new ClassScore(ClassNames[index], score))
                    .OrderByDescending(c => c.Score).Take(_options.TopK).ToArray();
                return new VideoPrediction(output.PredictedLabel, top[0].Score, top);
            }, CancellationToken.None);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Refuses a video longer than MaxVideoSeconds before anything is decoded (the probe reads the container only).</summary>
    /// <param name="fullPath">The video file.</param>
    /// <exception cref="VideoTooLongException">Too long.</exception>
    /// <exception cref="VideoDecodingException">Not a readable video.</exception>
    public void CheckDuration(string fullPath)
    {
        using var reader = VideoFrameReader.Open(fullPath, new VideoFrameReader.Options
        {
            Width = 16, Height = 16, FrameTimeout = TimeSpan.FromSeconds(_options.DecodeTimeoutSeconds), MaxFileBytes = _options.MaxUploadBytes,
        });
        double seconds = reader.Info.FrameCount / reader.Info.FramesPerSecond;
        if (seconds > _options.MaxVideoSeconds)
            throw new VideoTooLongException(seconds, _options.MaxVideoSeconds);
    }

    // The saved pipeline with its LoadVideoFrames step re-created to read from `folder` only, deterministically, whole
    // videos, with the server's timeout and size limit; every other step (the trained network included) is the loaded one, shared.
    private ITransformer ReadingFrom(string folder, long? maxFileBytes)
    {
        var steps = VideoEvaluation.Flatten(_loaded).ToList();
        int index = steps.FindIndex(s => s is VideoFrameLoadingTransformer);
        if (index < 0)
            throw new InvalidDataException($"The model '{ModelPath}' has no LoadVideoFrames step, so it does not classify video files.");
        var options = ((VideoFrameLoadingTransformer)steps[index]).GetOptions();
        options.VideoFolder = folder;
        options.AllowPathsOutsideVideoFolder = false;
        options.Mode = VideoLoadingMode.Inference;
        options.OnDecodeError = DecodeErrorPolicy.Throw;
        // A model trained on segments of untrimmed videos scores whole clips here: the upload is the segment.
        options.StartSecondsColumnName = null;
        options.EndSecondsColumnName = null;
        options.DecodeTimeout = TimeSpan.FromSeconds(_options.DecodeTimeoutSeconds);
        if (maxFileBytes is long limit)
            options.MaxFileBytes = Math.Min(options.MaxFileBytes, limit);
        var definition = SchemaDefinition.Create(typeof(ModelInput));
        definition[nameof(ModelInput.VideoPath)].ColumnName = options.InputColumnName!;
        var schemaOnly = _mlContext.Data.LoadFromEnumerable(new List<ModelInput>(), definition);
        steps[index] = _mlContext.Transforms.LoadVideoFrames(options).Fit(schemaOnly);
        return new TransformerChain<ITransformer>([.. steps]);
    }

    /// <summary>Releases the engines and the model's native memory.</summary>
    public void Dispose()
    {
        _uploads.Dispose();
        _folder?.Dispose();
        foreach (var step in VideoEvaluation.Flatten(_loaded))
            (step as IDisposable)?.Dispose();
        _slots.Dispose();
    }
}
