namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Reads a video file or frame folder one frame at a time with bounded memory (one frame buffer, and the OS pipe
/// between the decoder and this process), outside any IDataView: for live or streaming inference.
/// </summary>
/// <example><code language="csharp">
/// using var reader = VideoFrameReader.Open("clip.mp4", new VideoFrameReader.Options { Width = 172, Height = 172 });
/// var chw = new float[3 * 172 * 172];
/// while (reader.MoveNext())
///     reader.CopyCurrentTo(chw, PixelNormalization.ZeroToOne);   // feed chw to a streaming model
/// </code></example>
public sealed class VideoFrameReader : IDisposable
{
    /// <summary>Settings of <see cref="VideoFrameReader"/>.</summary>
    public sealed class Options
    {
        /// <summary>Output width in pixels; <see langword="null"/> (default): the source width.</summary>
        public int? Width { get; set; }

        /// <summary>Output height in pixels; <see langword="null"/> (default): the source height.</summary>
        public int? Height { get; set; }

        /// <summary>Longest wait for the probe and for each frame. Default 60 s (at most <see cref="VideoDecodingLimits.MaxDecodeTimeout"/>).</summary>
        public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Largest accepted source width or height. Default 8192 (at most <see cref="VideoDecoding.Limits"/>, as are the other limits).</summary>
        public int MaxResolution { get; set; } = 8192;

        /// <summary>Largest accepted frame count: a source whose probed count is larger is refused, and reading stops with
        /// <see cref="VideoDecodingFailure.TooLarge"/> if the decoder delivers more frames than this. Default 1,000,000.</summary>
        public int MaxFrames { get; set; } = DecodingLimits.MaxFrames;

        /// <summary>Largest accepted file size in bytes (frame folder: all images together). Default 64 GiB.</summary>
        public long MaxFileBytes { get; set; } = DecodingLimits.MaxFileBytes;

        /// <summary>Tests only: a stand-in ffmpeg (the process's programs are <see cref="VideoDecoding.FfmpegPath"/>/<see cref="VideoDecoding.FfprobePath"/>).</summary>
        internal string? FfmpegOverride { get; set; }

        /// <summary>Tests only: a stand-in ffprobe.</summary>
        internal string? FfprobeOverride { get; set; }
    }

    private readonly FfmpegProcess _process;
    private readonly byte[] _frame;
    private readonly CancellationToken _cancellation;
    private readonly Dictionary<(PixelNormalization, ChannelOrder), PixelLookup> _lookups = [];
    private bool _ended;
    private bool _disposed;

    private readonly int _maxFrames;

    private VideoFrameReader(VideoInfo info, int width, int height, FfmpegProcess process, int maxFrames, CancellationToken cancellation)
    {
        _maxFrames = maxFrames;
        Info = info;
        Width = width;
        Height = height;
        _process = process;
        _frame = new byte[checked(width * height * 3)];
        _cancellation = cancellation;
    }

    /// <summary>Opens a video file or frame folder and starts decoding.</summary>
    /// <param name="path">The file or frame folder.</param>
    /// <param name="options">Output size, timeout, limits; null for defaults.</param>
    /// <param name="cancellation">Stops decoding (the decoder process is killed).</param>
    /// <returns>A reader positioned before the first frame.</returns>
    /// <exception cref="VideoDecodingException">The source cannot be read.</exception>
    public static VideoFrameReader Open(string path, Options? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        options ??= new Options();
        if (options.Width is <= 0 || options.Height is <= 0)
            throw new ArgumentOutOfRangeException(nameof(options), $"Width and Height must be positive; got {options.Width}×{options.Height}.");
        if (options.MaxResolution <= 0 || options.MaxFrames <= 0 || options.MaxFileBytes <= 0)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"MaxResolution, MaxFrames and MaxFileBytes must be positive; got {options.MaxResolution}, {options.MaxFrames}, {options.MaxFileBytes}.");
        if (options.Width > options.MaxResolution || options.Height > options.MaxResolution)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"Width and Height may not exceed MaxResolution = {options.MaxResolution}; got {options.Width}×{options.Height}.");
        var limits = VideoDecoding.Limits;
        if (options.MaxResolution > limits.MaxResolution || options.MaxFrames > limits.MaxFrames || options.MaxFileBytes > limits.MaxFileBytes
            || !(options.FrameTimeout > TimeSpan.Zero) || options.FrameTimeout > limits.MaxDecodeTimeout)
            throw new ArgumentOutOfRangeException(nameof(options),
                $"MaxResolution, MaxFrames, MaxFileBytes and FrameTimeout may not exceed this process's VideoDecoding.Limits ({limits.MaxResolution}, {limits.MaxFrames}, {limits.MaxFileBytes}, {limits.MaxDecodeTimeout}); " +
                $"got {options.MaxResolution}, {options.MaxFrames}, {options.MaxFileBytes}, {options.FrameTimeout}. Raise VideoDecoding.Limits first.");
        var settings = new FfmpegSettings(options.FrameTimeout, options.MaxResolution, options.MaxFrames, options.MaxFileBytes,
            options.FfmpegOverride, options.FfprobeOverride);
        string full = Path.GetFullPath(path);
        var info = FfmpegDecoder.Probe(full, settings, cancellation);
        int width = options.Width ?? info.Width, height = options.Height ?? info.Height;
        var process = FfmpegDecoder.StartStream(info, width, height, settings, cancellation);
        return new VideoFrameReader(info, width, height, process, options.MaxFrames, cancellation);
    }

    /// <summary>What the probe learned about the source.</summary>
    public VideoInfo Info { get; }

    /// <summary>Width of the frames returned.</summary>
    public int Width { get; }

    /// <summary>Height of the frames returned.</summary>
    public int Height { get; }

    /// <summary>Index of the current frame; -1 before the first <see cref="MoveNext"/>.</summary>
    public int FrameIndex { get; private set; } = -1;

    /// <summary>The current frame as RGB24 bytes, row-major (height × width × 3). Valid until the next <see cref="MoveNext"/>.</summary>
    public ReadOnlySpan<byte> CurrentFrame => FrameIndex >= 0 && !_ended
        ? _frame
        : throw new InvalidOperationException("There is no current frame: call MoveNext first and check that it returned true.");

    /// <summary>Decodes the next frame.</summary>
    /// <returns>False at the end of the video.</returns>
    /// <exception cref="VideoDecodingException">The decoder failed or timed out.</exception>
    public bool MoveNext()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ended)
            return false;
        _cancellation.ThrowIfCancellationRequested();
        _process.ResetDeadline();
        if (_process.ReadFrame(_frame))
        {
            if (FrameIndex + 1 >= _maxFrames)
            {
                _ended = true;
                _process.Stop();
                throw new VideoDecodingException(VideoDecodingFailure.TooLarge, Info.Path,
                    $"the decoder delivered more than MaxFrames = {_maxFrames} frames (the file claims {Info.FrameCount}). Raise MaxFrames to read further.");
            }
            FrameIndex++;
            return true;
        }
        _ended = true;
        int exit = _process.WaitForExit();
        if (exit != 0 || FrameIndex < 0)
            throw _process.Failure(VideoDecodingFailure.InvalidData, $"the decoder stopped after {FrameIndex + 1} frames with exit code {exit}");
        return false;
    }

    /// <summary>Writes the current frame as planar [3, Height, Width] floats.</summary>
    /// <param name="destination">At least 3 × Height × Width floats.</param>
    /// <param name="normalization">Pixel normalization preset (not Custom).</param>
    /// <param name="order">Channel order.</param>
    public void CopyCurrentTo(Span<float> destination, PixelNormalization normalization = PixelNormalization.ZeroToOne, ChannelOrder order = ChannelOrder.Rgb)
    {
        if (normalization == PixelNormalization.Custom)
            throw new ArgumentException("Use a preset here; Custom needs a mean and std (use CurrentFrame and normalize yourself).", nameof(normalization));
        long plane = (long)Width * Height;
        if (destination.Length < 3 * plane)
            throw new ArgumentException($"destination holds {destination.Length} floats; a frame needs {3 * plane}.", nameof(destination));
        if (!_lookups.TryGetValue((normalization, order), out var lookup))
            _lookups[(normalization, order)] = lookup = new PixelLookup(normalization, order, null, null);
        SpatialTransform.WriteFrame(CurrentFrame, Width, new CropWindow(0, 0, Width, Height), flip: false, lookup, destination,
            [0, plane, 2 * plane]);
    }

    /// <summary>Stops the decoder (its process tree is killed if still running).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _process.Dispose();
    }
}
