namespace MLNetVideo;

/// <summary>
/// What the application that loads a model zip decides, never the zip: where the model's files are, where it may write,
/// how much a zip may make it read, and (optionally) whose signature it must carry.
/// </summary>
/// <remarks>
/// <para>The rule: <b>a loaded model names files, the loading application says where they are.</b> Every file location
/// stored in a zip is replaced at load by the value here: <c>LoadVideoFrames</c>' <c>VideoFolder</c> and
/// <c>AllowPathsOutsideVideoFolder</c> (also for the CLIP featurizers' file-keyed cache), the CLIP featurizers'
/// <c>CacheFolder</c>, and the folder the CLIP weights file or ONNX graph is read from (looked up by its file name in
/// <see cref="WeightsFolder"/>, a regular file whose SHA-256 must equal the recorded one). Limits stored in a zip are
/// lowered to the process's maxima (<c>VideoDecoding.Limits</c>); programs are never stored at all.</para>
/// <para>Pass these options with <c>mlContext.Model.Load(path, options, out schema)</c> (which also reports every refusal
/// as its real exception), or set <see cref="Default"/> once for every plain <c>mlContext.Model.Load</c> of the process
/// (for example a <c>PredictionEnginePool</c>), or bind them for a block of code with <see cref="Bind"/>.</para>
/// </remarks>
public sealed record VideoModelLoadOptions
{
    private static VideoModelLoadOptions _default = new();
    private static readonly AsyncLocal<LoadScope?> Scope = new();

    /// <summary>The options of every load that names none: plain <c>mlContext.Model.Load</c> outside <see cref="Bind"/>.
    /// Initially: no folders (a loaded model reads the paths the application gives it, writes no cache and finds no external
    /// weights file), no signature required, the default size bounds.</summary>
    /// <exception cref="ArgumentNullException">(set) null.</exception>
    public static VideoModelLoadOptions Default
    {
        get => Volatile.Read(ref _default);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            Volatile.Write(ref _default, value);
        }
    }

    /// <summary>The folder that video paths are resolved against and must stay in, for every <c>LoadVideoFrames</c> step of the
    /// loaded model (the zip's own <c>VideoFolder</c> is ignored). Null (default): relative paths resolve against the
    /// current directory and any path the application passes is read.</summary>
    public string? VideoFolder { get; init; }

    /// <summary>Accept video paths outside <see cref="VideoFolder"/> (the zip's own setting is ignored). Default false.</summary>
    public bool AllowPathsOutsideVideoFolder { get; init; }

    /// <summary>The CLIP feature cache of the loaded model (the zip's own <c>CacheFolder</c> is ignored). Null (default): no
    /// cache, so a loaded model writes nothing.</summary>
    public string? CacheFolder { get; init; }

    /// <summary>The folder that holds the files a model refers to instead of embedding them (the CLIP <c>WeightsPath</c>, the
    /// ONNX <c>ModelPath</c>): each is looked up here by its file name only, must be a regular file within
    /// <see cref="MaxReferencedFileBytes"/> and must have the SHA-256 recorded in the zip. Null (default): such a model is
    /// refused, naming the file it needs.</summary>
    public string? WeightsFolder { get; init; }

    /// <summary>The device loaded video classifiers score on: "auto", "cpu", "cuda" or "cuda:N". Null (default): the device the
    /// model trained on when this process has it, else the CPU.</summary>
    public string? Device { get; init; }

    /// <summary>Public keys (DER SubjectPublicKeyInfo, <c>ECDsa.ExportSubjectPublicKeyInfo()</c>) of which one must have signed
    /// the zip (<see cref="ModelSigning"/>). Empty (default): signatures are not checked.</summary>
    public IReadOnlyList<byte[]> TrustedSigningKeys { get; init; } = [];

    /// <summary>Largest decompressed entry of a model zip, in bytes. Default 2 GiB (the largest .NET array).</summary>
    public long MaxEntryBytes { get; init; } = Array.MaxLength;

    /// <summary>Largest total of all decompressed entries of one model zip, in bytes. Default 4 GiB.</summary>
    public long MaxTotalBytes { get; init; } = 4L << 30;

    /// <summary>Largest file a model refers to (CLIP weights, ONNX graph), in bytes. Default 4 GiB.</summary>
    public long MaxReferencedFileBytes { get; init; } = 4L << 30;

    /// <summary>Longest time reading (hashing) one referenced file may take. Default 10 minutes.</summary>
    public TimeSpan MaxFileReadTime { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Whether loads under these options must find a trusted signature.</summary>
    internal bool RequiresSignature => TrustedSigningKeys.Count > 0;

    /// <summary>Uses <paramref name="options"/> for every model loaded on this thread of execution (and the tasks it starts)
    /// until the returned scope is disposed; scopes nest.</summary>
    /// <param name="options">The options.</param>
    /// <returns>The scope; dispose it to restore the previous options.</returns>
    public static IDisposable Bind(VideoModelLoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var scope = new LoadScope(options, Scope.Value);
        Scope.Value = scope;
        return scope;
    }

    /// <summary>The options in effect for a load happening now.</summary>
    internal static VideoModelLoadOptions Current => Scope.Value?.Options ?? Default;

    /// <summary>The scope of a load started by <c>Model.Load(path, options, out schema)</c>, or null.</summary>
    internal static LoadScope? CurrentScope => Scope.Value;

    /// <summary>Checks every bound.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A bound is not positive, or MaxEntryBytes exceeds the largest array.</exception>
    /// <exception cref="ArgumentException">A folder is blank or a key is empty.</exception>
    public void Validate()
    {
        Errors.OptionChecks.Positive(MaxEntryBytes, nameof(MaxEntryBytes));
        if (MaxEntryBytes > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(MaxEntryBytes), MaxEntryBytes, $"MaxEntryBytes must be at most {Array.MaxLength} (the largest .NET array).");
        Errors.OptionChecks.Positive(MaxTotalBytes, nameof(MaxTotalBytes));
        Errors.OptionChecks.Positive(MaxReferencedFileBytes, nameof(MaxReferencedFileBytes));
        if (!(MaxFileReadTime > TimeSpan.Zero))
            throw new ArgumentOutOfRangeException(nameof(MaxFileReadTime), MaxFileReadTime, "MaxFileReadTime must be positive.");
        foreach (var (folder, name) in new[] { (VideoFolder, nameof(VideoFolder)), (CacheFolder, nameof(CacheFolder)), (WeightsFolder, nameof(WeightsFolder)) })
            if (folder is not null)
                Errors.OptionChecks.NotEmpty(folder, name);
        ArgumentNullException.ThrowIfNull(TrustedSigningKeys, nameof(TrustedSigningKeys));
        if (TrustedSigningKeys.Any(k => k is null || k.Length == 0))
            throw new ArgumentException("TrustedSigningKeys holds an empty key.", nameof(TrustedSigningKeys));
    }

    /// <summary>One binding of options; also carries what a load under way has checked already.</summary>
    internal sealed class LoadScope(VideoModelLoadOptions options, LoadScope? previous) : IDisposable
    {
        private bool _disposed;

        public VideoModelLoadOptions Options { get; } = options;

        /// <summary>Set when the zip of this load was scanned (bounded, and its signature verified when required) before
        /// ML.NET read it.</summary>
        public bool ZipChecked { get; set; }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Scope.Value = previous;
        }
    }
}
