using System.Globalization;
using System.Text;
using System.Text.Json;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Decodes videos and frame folders with Debian's <c>ffmpeg</c>/<c>ffprobe</c> programs. This is the only file that
/// starts a process. Every process is the program <see cref="VideoDecoding"/> resolved (an absolute path), started with an
/// argument list (never a shell); it gets its input as a <c>file:</c> URL (so a name starting with '-' or containing ':'
/// is never read as an option or protocol) with the file protocol only and the demuxers of
/// <see cref="VideoDecoding.ContainerFormats"/> (a playlist or concat script, which would open other files, is refused);
/// it writes raw RGB24 frames to a pipe read into one reused buffer, and is killed with its process tree on timeout,
/// cancellation or dispose.
/// </summary>
internal static class FfmpegDecoder
{
    /// <summary>Image file extensions of frame folders.</summary>
    public static readonly string[] FrameExtensions = [".jpg", ".jpeg", ".png", ".bmp"];

    /// <summary>Needed frames more than this many frames apart are reached by seeking (a new input with <c>-ss</c>)
    /// instead of decoding through the gap. Measured in BENCHMARKS.md.</summary>
    internal static int SeekGapFrames { get; set; } = 150;

    /// <summary>Whether MP4 / MOV files are probed from their header boxes in process (<see cref="Mp4Header"/>) rather than
    /// by ffprobe. Tests and benchmarks turn it off to compare.</summary>
    internal static bool ReadMp4Headers { get; set; } = true;

    /// <summary>Reads the size, frame count and rate of a video file or frame folder.</summary>
    /// <param name="path">The file or frame folder.</param>
    /// <param name="settings">Programs and limits.</param>
    /// <param name="cancellation">Stops a running ffprobe.</param>
    /// <param name="readHeader">False: always ask ffprobe, even for an MP4 / MOV file whose header could be read in process.</param>
    public static VideoInfo Probe(string path, FfmpegSettings settings, CancellationToken cancellation = default, bool readHeader = true)
    {
        VideoInfo info = Directory.Exists(path) ? ProbeFolder(path, settings, cancellation) : ProbeFile(path, settings, cancellation, readHeader && ReadMp4Headers && settings.FfprobeOverride is null);
        if (info.Width > settings.MaxResolution || info.Height > settings.MaxResolution)
            throw new VideoDecodingException(VideoDecodingFailure.TooLarge, path,
                $"the video is {info.Width}×{info.Height}, larger than MaxResolution = {settings.MaxResolution}. Raise MaxResolution to accept it.");
        if (info.FrameCount > settings.MaxFrames)
            throw TooManyFrames(path, info.FrameCount.ToString(CultureInfo.InvariantCulture), settings);
        return info;
    }

    private static VideoDecodingException TooManyFrames(string path, string count, FfmpegSettings settings)
        => new(VideoDecodingFailure.TooLarge, path, $"the video has {count} frames, more than MaxFrames = {settings.MaxFrames}. Raise MaxFrames to accept it.");

    private static void CheckFileSize(string path, long bytes, FfmpegSettings settings, string what)
    {
        if (bytes > settings.MaxFileBytes)
            throw new VideoDecodingException(VideoDecodingFailure.TooLarge, path,
                $"{what} {bytes} bytes, more than MaxFileBytes = {settings.MaxFileBytes}. Raise MaxFileBytes to accept it.");
    }

    private static VideoInfo ProbeFile(string path, FfmpegSettings settings, CancellationToken cancellation, bool readHeader)
    {
        if (!File.Exists(path))
            throw new VideoDecodingException(VideoDecodingFailure.NotFound, path, "the file does not exist.");
        long length = new FileInfo(path).Length;
        // FIFOs, devices and sockets report 0 bytes: refused here, before a decoder could block on them or read forever.
        if (length == 0)
            throw new VideoDecodingException(VideoDecodingFailure.InvalidData, path, "the file is empty (0 bytes) or not a regular file.");
        CheckFileSize(path, length, settings, "the file holds");
        // MP4 / MOV: the header says it all, and reading it costs no process (issue 22); anything unusual goes to ffprobe.
        if (readHeader && Mp4Header.TryRead(path) is { } header)
            return new VideoInfo(path, header.Width, header.Height, (int)Math.Min(header.Frames, int.MaxValue), header.FramesPerSecond, header.Codec, null);
        var json = RunProbe(path, settings, cancellation, VideoDecoding.ContainerFormatList, "-show_entries",
            "stream=codec_name,width,height,nb_frames,r_frame_rate,avg_frame_rate,duration:format=duration");
        using var document = ParseJson(json, path);
        if (!document.RootElement.TryGetProperty("streams", out var streams) || streams.GetArrayLength() == 0)
            throw new VideoDecodingException(VideoDecodingFailure.Unsupported, path, "the file has no video stream.");
        var stream = streams[0];
        string codec = stream.TryGetProperty("codec_name", out var c) ? c.GetString() ?? "unknown" : "unknown";
        int width = stream.TryGetProperty("width", out var w) ? w.GetInt32() : 0;
        int height = stream.TryGetProperty("height", out var h) ? h.GetInt32() : 0;
        if (width <= 0 || height <= 0)
            throw new VideoDecodingException(VideoDecodingFailure.Unsupported, path, $"the video stream (codec '{codec}') has no frame size; the codec is not supported.");
        double fps = ParseRate(stream, "avg_frame_rate") ?? ParseRate(stream, "r_frame_rate") ?? 30;
        long frames = stream.TryGetProperty("nb_frames", out var n) && long.TryParse(n.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) ? parsed : -1;
        if (frames <= 0)
        {
            // WebM/MKV do not store a frame count: count packets (demuxing only, no decoding).
            using var counted = ParseJson(RunProbe(path, settings, cancellation, VideoDecoding.ContainerFormatList, "-count_packets", "-show_entries", "stream=nb_read_packets"), path);
            frames = counted.RootElement.TryGetProperty("streams", out var s) && s.GetArrayLength() > 0
                && s[0].TryGetProperty("nb_read_packets", out var p)
                && long.TryParse(p.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long packets) ? packets : 0;
        }
        if (frames <= 0)
            throw new VideoDecodingException(VideoDecodingFailure.NoFrames, path, "the video stream has no frames.");
        return new VideoInfo(path, width, height, (int)Math.Min(frames, int.MaxValue), fps, codec, null);
    }

    private static VideoInfo ProbeFolder(string path, FfmpegSettings settings, CancellationToken cancellation)
    {
        // Counted while listing, so a folder of millions of files is refused without sorting them all.
        var listed = new List<string>();
        long bytes = 0;
        foreach (var file in new DirectoryInfo(path).EnumerateFiles())
        {
            if (!FrameExtensions.Contains(file.Extension, StringComparer.OrdinalIgnoreCase))
                continue;
            // The images are listed to the decoder one per line: a line break in a name could add a line of its own.
            if (file.Name.Any(char.IsControl))
                throw new VideoDecodingException(VideoDecodingFailure.InvalidData, path,
                    $"the frame image '{file.Name.ReplaceLineEndings("\\n")}' has a control character (such as a line break) in its name; rename it.");
            if (listed.Count == settings.MaxFrames)
                throw TooManyFrames(path, "more than " + settings.MaxFrames.ToString(CultureInfo.InvariantCulture), settings);
            if (file.Length == 0)
                throw new VideoDecodingException(VideoDecodingFailure.InvalidData, path,
                    $"the frame image '{file.Name}' is empty (0 bytes) or not a regular file.");
            listed.Add(file.FullName);
            bytes += file.Length;
        }
        CheckFileSize(path, bytes, settings, "the frame images hold");
        var frames = listed.OrderBy(f => f, FrameNameComparer.Instance).ToArray();
        if (frames.Length == 0)
            throw new VideoDecodingException(VideoDecodingFailure.NoFrames, path,
                $"the folder has no frame images ({string.Join(", ", FrameExtensions)}).");
        using var document = ParseJson(RunProbe(frames[0], settings, cancellation, VideoDecoding.FrameImageFormats, "-show_entries", "stream=codec_name,width,height"), frames[0]);
        var stream = document.RootElement.TryGetProperty("streams", out var streams) && streams.GetArrayLength() > 0 ? streams[0]
            : throw new VideoDecodingException(VideoDecodingFailure.InvalidData, frames[0], "the first frame image is not an image.");
        int width = stream.TryGetProperty("width", out var w) ? w.GetInt32() : 0;
        int height = stream.TryGetProperty("height", out var h) ? h.GetInt32() : 0;
        if (width <= 0 || height <= 0)
            throw new VideoDecodingException(VideoDecodingFailure.InvalidData, frames[0], "the first frame image has no size.");
        return new VideoInfo(path, width, height, frames.Length, 30, "frames", frames);
    }

    private static string RunProbe(string path, FfmpegSettings settings, CancellationToken cancellation, string formats, params string[] query)
    {
        var args = new List<string> { "-v", "error", "-select_streams", "v:0" };
        args.AddRange(query);
        args.AddRange(["-of", "json", .. InputRestrictions("file", formats), "file:" + path]);
        using var process = FfmpegProcess.Start(Program(settings, probe: true, path), args, (string?)null, settings.Timeout, path, cancellation);
        var output = process.ReadAllText(maxBytes: 1 << 20);
        int exit = process.WaitForExit();
        if (exit != 0)
            throw process.Failure(VideoDecodingFailure.InvalidData, $"ffprobe exited with code {exit}");
        return output;
    }

    private static JsonDocument ParseJson(string json, string path)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new VideoDecodingException(VideoDecodingFailure.InvalidData, path, $"ffprobe printed unreadable output: {e.Message}", inner: e);
        }
    }

    private static double? ParseRate(JsonElement stream, string name)
    {
        if (!stream.TryGetProperty(name, out var value) || value.GetString() is not string text)
            return null;
        var parts = text.Split('/');
        if (parts.Length == 2 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double num)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double den) && num > 0 && den > 0)
            return num / den;
        return null;
    }

    /// <summary>
    /// Decodes the frames <paramref name="sortedIndices"/> (sorted, distinct) scaled to
    /// <paramref name="scaledWidth"/> × <paramref name="scaledHeight"/> and cropped to <paramref name="crop"/> (null: no crop),
    /// calling <paramref name="onFrame"/> with the position in <paramref name="sortedIndices"/> and the RGB24 bytes (valid during the call).
    /// </summary>
    public static void DecodeFrames(VideoInfo info, IReadOnlyList<int> sortedIndices, int scaledWidth, int scaledHeight, CropWindow? crop,
        FfmpegSettings settings, Action<int, ReadOnlySpan<byte>> onFrame, CancellationToken cancellation = default)
    {
        if (sortedIndices.Count == 0)
            return;
        int outWidth = crop?.Width ?? scaledWidth, outHeight = crop?.Height ?? scaledHeight;
        string scale = $"scale={scaledWidth}:{scaledHeight}:flags=bilinear" + (crop is CropWindow w ? $",crop={w.Width}:{w.Height}:{w.X}:{w.Y}" : "");
        var (args, stdin) = info.IsFrameFolder
            ? FolderArguments(info, sortedIndices, scale)
            : FileArguments(info, sortedIndices, scale);
        args.AddRange(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);

        using var process = FfmpegProcess.Start(Program(settings, probe: false, info.Path), args, stdin, settings.Timeout, info.Path, cancellation);
        int frameBytes = checked(outWidth * outHeight * 3);
        int produced = sortedIndices.Count == 1 ? ReadSerial(process, sortedIndices.Count, frameBytes, onFrame)
            : ReadPipelined(process, sortedIndices.Count, frameBytes, onFrame);
        int exit = process.WaitForExit();
        if (produced < sortedIndices.Count)
            throw process.Failure(VideoDecodingFailure.InvalidData,
                $"the decoder produced {produced} of the {sortedIndices.Count} needed frames (the file claims {info.FrameCount}; it may be truncated or corrupt; exit code {exit})");
    }

    private static int ReadSerial(FfmpegProcess process, int count, int frameBytes, Action<int, ReadOnlySpan<byte>> onFrame)
    {
        var buffer = new byte[frameBytes];
        int produced = 0;
        while (produced < count && process.ReadFrame(buffer))
            onFrame(produced++, buffer);
        return produced;
    }

    /// <summary>Reads frames on a second thread into a small ring of reused buffers (at most 4, at most ~64 MB), so the
    /// decoder keeps decoding while this thread converts the previous frame; memory stays bounded.</summary>
    private static int ReadPipelined(FfmpegProcess process, int count, int frameBytes, Action<int, ReadOnlySpan<byte>> onFrame)
    {
        int slots = (int)Math.Clamp((64L << 20) / frameBytes, 2, 4);
        using var free = new System.Collections.Concurrent.BlockingCollection<byte[]>(slots);
        using var full = new System.Collections.Concurrent.BlockingCollection<byte[]>(slots);
        using var stop = new CancellationTokenSource();
        for (int i = 0; i < slots; i++)
            free.Add(new byte[frameBytes]);
        Exception? readError = null;
        var reader = new Thread(() =>
        {
            try
            {
                for (int n = 0; n < count; n++)
                {
                    var buffer = free.Take(stop.Token);
                    if (!process.ReadFrame(buffer))
                        break;
                    full.Add(buffer, stop.Token);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception e)
            {
                readError = e;
            }
            finally
            {
                full.CompleteAdding();
            }
        }) { IsBackground = true, Name = "MLNetVideo frame reader" };
        reader.Start();
        int produced = 0;
        bool completed = false;
        try
        {
            foreach (var buffer in full.GetConsumingEnumerable())
            {
                onFrame(produced++, buffer);
                free.Add(buffer);
            }
            completed = true;
        }
        finally
        {
            stop.Cancel();
            if (!completed)
                process.Stop();   // the consumer failed: stop the decoder so the reader thread returns
            reader.Join();
        }
        if (readError is not null)
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readError).Throw();
        return produced;
    }

    /// <summary>Starts a decoder that streams every frame (optionally scaled) for <see cref="VideoFrameReader"/>.</summary>
    internal static FfmpegProcess StartStream(VideoInfo info, int width, int height, FfmpegSettings settings, CancellationToken cancellation)
    {
        string scale = $"scale={width}:{height}:flags=bilinear";
        var (args, stdin) = info.IsFrameFolder
            ? FolderArguments(info, Enumerable.Range(0, info.FrameCount).ToArray(), scale)
            : (Prefix([.. FileInput(info.Path), "-vf", scale, "-an", "-sn", "-fps_mode", "passthrough"]), null);
        args.AddRange(["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);
        return FfmpegProcess.Start(Program(settings, probe: false, info.Path), args, stdin, settings.Timeout, info.Path, cancellation);
    }

    /// <summary>Encodes raw RGB24 frames into a video file (or, for an image2 pattern such as "%d.jpg", frame images).
    /// Used by the synthetic sample data; <paramref name="codecArguments"/> picks codec and container options.</summary>
    internal static void EncodeRgb24(string outputPath, IEnumerable<byte[]> frames, int width, int height, double fps,
        IEnumerable<string> codecArguments, FfmpegSettings settings, CancellationToken cancellation = default)
    {
        var args = Prefix(["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", $"{width}x{height}",
            "-r", fps.ToString(CultureInfo.InvariantCulture), "-i", "pipe:0", "-an"]);
        args.AddRange(codecArguments);
        args.AddRange(["-y", outputPath.EndsWith(".jpg", StringComparison.Ordinal) || outputPath.EndsWith(".png", StringComparison.Ordinal)
            ? outputPath : "file:" + outputPath]);
        using var process = FfmpegProcess.Start(Program(settings, probe: false, outputPath), args, stream =>
        {
            foreach (var frame in frames)
                stream.Write(frame);
        }, settings.Timeout, outputPath, cancellation);
        int exit = process.WaitForExit();
        if (exit != 0)
            throw process.Failure(VideoDecodingFailure.InvalidData, $"ffmpeg could not encode the video (exit code {exit})");
    }

    /// <summary>The program to run, or <see cref="VideoDecodingFailure.DecoderUnavailable"/> naming the video.</summary>
    private static string Program(FfmpegSettings settings, bool probe, string path)
    {
        try
        {
            return probe ? settings.Ffprobe : settings.Ffmpeg;
        }
        catch (FileNotFoundException e)
        {
            throw new VideoDecodingException(VideoDecodingFailure.DecoderUnavailable, path, e.Message, inner: e);
        }
    }

    /// <summary>Input options that keep the decoder to the protocols and demuxers named (checked after probing, so a file
    /// whose content is a playlist or a concat script is refused whatever its name).</summary>
    internal static string[] InputRestrictions(string protocols, string formats)
        => ["-protocol_whitelist", protocols, "-format_whitelist", formats];

    /// <summary>One video file as an input: the file protocol only, the container demuxers only.</summary>
    private static string[] FileInput(string path) => [.. InputRestrictions("file", VideoDecoding.ContainerFormatList), "-i", "file:" + path];

    private static List<string> Prefix(IEnumerable<string> rest)
    {
        var args = new List<string> { "-hide_banner", "-nostats", "-loglevel", "error" };
        args.AddRange(rest);
        return args;
    }

    private static (List<string> Args, string? Stdin) FolderArguments(VideoInfo info, IReadOnlyList<int> sortedIndices, string scale)
    {
        // The concat demuxer reads exactly the needed images, listed on stdin: no temporary file. Each image may be read
        // only as a PNG, JPEG or BMP through the file protocol (a frame that is itself a playlist or concat script is refused).
        var list = new StringBuilder("ffconcat version 1.0\n");
        foreach (int index in sortedIndices)
        {
            list.Append("file 'file:").Append(info.FramePaths![index].Replace("'", @"'\''", StringComparison.Ordinal)).Append("'\n");
            list.Append("option format_whitelist ").Append(VideoDecoding.FrameImageFormats).Append('\n');
            list.Append("option protocol_whitelist file\n");
        }
        var args = Prefix(["-f", "concat", "-safe", "0", .. InputRestrictions("file,pipe", "concat"), "-i", "pipe:0",
            "-vf", "setpts=N," + scale, "-fps_mode", "passthrough"]);
        return (args, list.ToString());
    }

    internal static (List<string> Args, string? Stdin) FileArguments(VideoInfo info, IReadOnlyList<int> sortedIndices, string scale)
    {
        // Split the needed frames into groups separated by gaps of more than SeekGapFrames; each group after the first
        // frames of the file is reached by an input seek (-ss before -i decodes from the preceding keyframe and drops
        // frames up to the target), and only [first, last] of each group is decoded.
        var groups = new List<List<int>>();
        foreach (int index in sortedIndices)
        {
            if (groups.Count == 0 || index - groups[^1][^1] > SeekGapFrames)
                groups.Add([]);
            groups[^1].Add(index);
        }
        var args = Prefix([]);
        if (groups.Count == 1 && groups[0][0] <= SeekGapFrames)
        {
            args.AddRange([.. FileInput(info.Path), "-an", "-sn",
                "-vf", $"select='{SelectExpression(groups[0], 0)}',{scale}",
                "-frames:v", sortedIndices.Count.ToString(CultureInfo.InvariantCulture), "-fps_mode", "passthrough"]);
            return (args, null);
        }
        var graph = new StringBuilder();
        for (int g = 0; g < groups.Count; g++)
        {
            int first = groups[g][0];
            // Seek to a quarter frame before the target so rounding never lands on the next frame.
            double seconds = Math.Max(0, (first - 0.25) / info.FramesPerSecond);
            args.AddRange(["-ss", seconds.ToString("0.######", CultureInfo.InvariantCulture), .. FileInput(info.Path)]);
            int last = groups[g][^1] - first;
            graph.Append(CultureInfo.InvariantCulture, $"[{g}:v:0]trim=end_frame={last + 1},select='{SelectExpression(groups[g], first)}',{scale},setpts=N[v{g}];");
        }
        for (int g = 0; g < groups.Count; g++)
            graph.Append(CultureInfo.InvariantCulture, $"[v{g}]");
        graph.Append(CultureInfo.InvariantCulture, $"concat=n={groups.Count}:v=1:a=0[out]");
        args.AddRange(["-filter_complex", graph.ToString(), "-map", "[out]",
            "-frames:v", sortedIndices.Count.ToString(CultureInfo.InvariantCulture), "-fps_mode", "passthrough"]);
        return (args, null);
    }

    /// <summary>A select-filter expression true exactly for the given frame numbers (relative to <paramref name="origin"/>),
    /// written as arithmetic runs so a dense clip stays short: between(n,a,b)*not(mod(n-a,s)).</summary>
    internal static string SelectExpression(IReadOnlyList<int> sortedIndices, int origin)
    {
        var terms = new List<string>();
        int i = 0;
        while (i < sortedIndices.Count)
        {
            int start = sortedIndices[i] - origin, j = i + 1;
            int step = j < sortedIndices.Count ? sortedIndices[j] - sortedIndices[i] : 1;
            while (j < sortedIndices.Count && sortedIndices[j] - sortedIndices[j - 1] == step)
                j++;
            int end = sortedIndices[j - 1] - origin;
            terms.Add(j - i == 1 ? $"eq(n,{start})"
                : step == 1 ? $"between(n,{start},{end})"
                : $"between(n,{start},{end})*not(mod(n-{start},{step}))");
            i = j;
        }
        return string.Join("+", terms);
    }
}
