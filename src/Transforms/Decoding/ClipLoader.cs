using MLNetVideo.Determinism;
using MLNetVideo.Files;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>Turns one path into one clip tensor: resolve → probe → sample → decode (scaled, cropped) → normalize.
/// Stateless apart from settings, so one instance serves every cursor.</summary>
internal sealed class ClipLoader
{
    private readonly VideoFrameLoadingEstimator.Options _options;
    private readonly FfmpegSettings _settings;
    private readonly PixelLookup _lookup;
    private readonly string? _folder;
    private readonly int _seed;

    public ClipLoader(VideoFrameLoadingEstimator.Options options)
    {
        _options = options;
        _seed = options.Seed ?? Seeding.DefaultSeed;
        _settings = new FfmpegSettings(options.DecodeTimeout, options.MaxResolution, options.MaxFrames, options.MaxFileBytes,
            options.FfmpegOverride, options.FfprobeOverride);
        _lookup = new PixelLookup(options.Normalization, options.Channels, options.CustomMean, options.CustomStd);
        _folder = options.VideoFolder is null ? null : Path.GetFullPath(options.VideoFolder);
        Dimensions = options.Dimensions();
        Size = Dimensions.Aggregate(1, (a, d) => a * d);
    }

    public int[] Dimensions { get; }

    public int Size { get; }

    /// <summary>Resolves a path from the data against VideoFolder, refusing escapes unless allowed. Inside a folder, the path
    /// returned is the real one (every symbolic link resolved), so the decoder opens exactly what was checked.</summary>
    public string ResolvePath(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
            throw new VideoDecodingException(VideoDecodingFailure.NotFound, text, "the path is empty.");
        string full;
        try
        {
            full = _folder is null ? Path.GetFullPath(text) : Path.GetFullPath(text, _folder);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new VideoDecodingException(VideoDecodingFailure.NotFound, text, $"the path is not valid ({e.Message}).", inner: e);
        }
        if (_folder is not null && !_options.AllowPathsOutsideVideoFolder)
        {
            if (!IsInside(full))
                throw new VideoDecodingException(VideoDecodingFailure.OutsideVideoFolder, full,
                    $"the path '{text}' resolves outside VideoFolder '{_folder}'. Move the video into the folder, or set AllowPathsOutsideVideoFolder = true if the data is trusted.");
            // Symbolic links must not lead outside the folder either: the path itself or any folder along it. The check is made
            // on the real path, and the real path is what the decoder gets.
            string real;
            try
            {
                real = RealPath(full);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new VideoDecodingException(VideoDecodingFailure.NotFound, full, $"its symbolic links could not be resolved ({e.Message}).", inner: e);
            }
            if (!IsInside(real, RealFolder))
                throw new VideoDecodingException(VideoDecodingFailure.OutsideVideoFolder, full,
                    $"the path '{text}' is a symbolic link to (or lies under a symbolic link to) '{real}', outside VideoFolder '{_folder}'. Set AllowPathsOutsideVideoFolder = true if the data is trusted.");
            return real;
        }
        return full;
    }

    private string? _realFolder;

    private string RealFolder => _realFolder ??= RealPath(_folder!);

    private bool IsInside(string full) => IsInside(full, _folder!);

    private static bool IsInside(string full, string folder) => FileChecks.IsInside(full, folder);

    private static string RealPath(string full) => FileChecks.RealPath(full);

    /// <summary>A frame folder's images must stay inside VideoFolder too (an image may be a link).</summary>
    private void CheckFrameLinks(VideoInfo info)
    {
        if (_folder is null || _options.AllowPathsOutsideVideoFolder || info.FramePaths is null)
            return;
        foreach (var frame in info.FramePaths)
        {
            if (new FileInfo(frame).LinkTarget is null)
                continue;
            string real = RealPath(frame);
            if (!IsInside(real, RealFolder))
                throw new VideoDecodingException(VideoDecodingFailure.OutsideVideoFolder, info.Path,
                    $"the frame image '{Path.GetFileName(frame)}' is a symbolic link to '{real}', outside VideoFolder '{_folder}'. Set AllowPathsOutsideVideoFolder = true if the data is trusted.");
        }
    }

    /// <summary>The frames [First, First + Count) whose times i / fps lie in [start, end) seconds; NaN bounds are open.</summary>
    internal static (int First, int Count) SegmentFrames(VideoInfo info, double start, double end)
    {
        if (double.IsNaN(start) && double.IsNaN(end))
            return (0, info.FrameCount);
        double fps = info.FramesPerSecond;
        string text = FormattableString.Invariant($"[{start:0.###}, {end:0.###}) s");
        if (start < 0)
            throw new VideoDecodingException(VideoDecodingFailure.NoFrames, info.Path, $"the segment {text} starts before the video.");
        // A millionth of a frame of tolerance: a bound written as frame / fps lands on that frame.
        int first = double.IsNaN(start) ? 0 : (int)Math.Min(int.MaxValue, Math.Ceiling(start * fps - 1e-6));
        int stop = double.IsNaN(end) ? info.FrameCount : (int)Math.Clamp(Math.Ceiling(end * fps - 1e-6), 0, info.FrameCount);
        if (first >= stop)
            throw new VideoDecodingException(VideoDecodingFailure.NoFrames, info.Path, FormattableString.Invariant(
                $"the segment {text} holds no frame of the video ({info.FrameCount} frames at {fps:0.###} frames/s, {info.FrameCount / fps:0.###} s)."));
        return (first, stop - first);
    }

    /// <summary>The source frame indices (0 … count − 1) of each clip of a row, for a source (or segment) of <paramref name="count"/> frames.</summary>
    private int[][] Plan(int count, double framesPerSecond, Random? temporal)
    {
        var o = _options;
        int virtualCount = o.TargetFps is double target ? FrameSampler.ResampledFrameCount(count, framesPerSecond, target) : count;
        int[][] clips;
        switch (o.Sampling)
        {
            case SamplingMode.Uniform:
                clips = new int[o.ClipsPerVideo][];
                for (int k = 0; k < clips.Length; k++)
                    clips[k] = FrameSampler.Uniform(virtualCount, o.FramesPerClip, temporal, (k + 0.5) / o.ClipsPerVideo);
                break;
            case SamplingMode.All:
                clips = [FrameSampler.All(virtualCount, o.FramesPerClip, o.OutOfBounds)];
                break;
            default:
                if (o.ClipsPerVideo == 1)
                {
                    var start = o.ClipStart == ClipStart.Auto ? (temporal is null ? ClipStart.Centre : ClipStart.Random) : o.ClipStart;
                    clips = [FrameSampler.DenseFrom(virtualCount,
                        FrameSampler.DenseStart(virtualCount, o.FramesPerClip, o.FrameInterval, start, temporal),
                        o.FramesPerClip, o.FrameInterval, o.OutOfBounds)];
                }
                else
                {
                    clips = FrameSampler.DenseMultiClip(virtualCount, o.ClipsPerVideo, o.FramesPerClip, o.FrameInterval, o.OutOfBounds,
                        o.ClipStart is ClipStart.Random || (o.ClipStart is ClipStart.Auto && temporal is not null) ? temporal : null);
                }
                break;
        }
        if (o.TargetFps is double fps)
            foreach (var clip in clips)
                FrameSampler.ToSourceIndices(clip, count, framesPerSecond, fps);
        return clips;
    }

    /// <summary>Probes a video, reusing the result while the file's size and write time are unchanged (later epochs skip
    /// the probe process). At most <see cref="ProbeCacheSize"/> entries; the cache is cleared when full.</summary>
    private VideoInfo ProbeCached(string path, CancellationToken cancellation)
    {
        var stamp = File.Exists(path) ? (new FileInfo(path).Length, File.GetLastWriteTimeUtc(path).Ticks)
            : Directory.Exists(path) ? (-1L, Directory.GetLastWriteTimeUtc(path).Ticks) : (-2L, 0L);
        if (stamp.Item1 != -2 && _probes.TryGetValue(path, out var cached) && cached.Stamp == stamp)
            return cached.Info;
        var info = FfmpegDecoder.Probe(path, _settings, cancellation);
        if (_probes.Count >= ProbeCacheSize)
            _probes.Clear();
        _probes[path] = (stamp, info);
        return info;
    }

    private const int ProbeCacheSize = 100_000;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ((long, long) Stamp, VideoInfo Info)> _probes = new(StringComparer.Ordinal);

    /// <summary>Decodes one row into <paramref name="destination"/> (length <see cref="Size"/>), sampling inside
    /// [<paramref name="segmentStart"/>, <paramref name="segmentEnd"/>) seconds (NaN: open).</summary>
    public void Load(string pathText, long row, float[] destination, CancellationToken cancellation = default,
        double segmentStart = double.NaN, double segmentEnd = double.NaN)
    {
        var o = _options;
        string path = ResolvePath(pathText);
        var info = ProbeCached(path, cancellation);
        CheckFrameLinks(info);
        bool training = o.Mode == VideoLoadingMode.Training;
        int rowIndex = unchecked((int)row);
        var temporal = training || o.ClipStart == ClipStart.Random ? Seeding.CreateRandom(_seed, RandomStream.TemporalJitter, rowIndex) : null;
        var (first, length) = SegmentFrames(info, segmentStart, segmentEnd);
        var clips = Plan(length, info.FramesPerSecond, temporal);
        if (first > 0)
            foreach (var clip in clips)
                for (int i = 0; i < clip.Length; i++)
                    clip[i] += first;

        int size = o.FrameSize;
        var (scaledWidth, scaledHeight) = SpatialTransform.ScaledSize(info.Width, info.Height, o.Resize, size, o.EffectiveShortSide);
        var augmentation = training ? Seeding.CreateRandom(_seed, RandomStream.Augmentation, rowIndex) : null;
        var crops = SpatialTransform.Crops(scaledWidth, scaledHeight, size, o.SpatialCrops, o.SpatialCrops == 1 ? augmentation : null);
        bool flip = training && o.HorizontalFlip && augmentation!.NextDouble() < 0.5;

        // One crop: the decoder crops; three crops: the decoder outputs the scaled frame and the crops are cut here.
        CropWindow? decoderCrop = crops.Length == 1 ? crops[0] : null;
        int frameWidth = decoderCrop is null ? scaledWidth : size;
        var windows = decoderCrop is null ? crops : [new CropWindow(0, 0, size, size)];

        var needed = FrameSampler.DistinctSorted(clips);
        var uses = new Dictionary<int, List<(int Clip, int T)>>(needed.Length);
        for (int k = 0; k < clips.Length; k++)
            for (int t = 0; t < clips[k].Length; t++)
            {
                if (!uses.TryGetValue(clips[k][t], out var list))
                    uses[clips[k][t]] = list = [];
                list.Add((k, t));
            }

        long plane = (long)size * size, frames = o.FramesPerClip;
        long viewSize = 3 * frames * plane;
        FfmpegDecoder.DecodeFrames(info, needed, scaledWidth, scaledHeight, decoderCrop, _settings, (i, rgb) =>
        {
            Span<long> channelOffsets = stackalloc long[3];
            foreach (var (clip, t) in uses[needed[i]])
                for (int c = 0; c < windows.Length; c++)
                {
                    long view = (long)clip * windows.Length + c;
                    for (int ch = 0; ch < 3; ch++)
                        channelOffsets[ch] = view * viewSize + (o.Layout == ClipLayout.Tchw ? (t * 3L + ch) : (ch * frames + t)) * plane;
                    SpatialTransform.WriteFrame(rgb, frameWidth, windows[c], flip, _lookup, destination, channelOffsets);
                }
        }, cancellation);
    }
}
