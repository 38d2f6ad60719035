namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Settings of the whole process for every video decoder it starts (<c>LoadVideoFrames</c>, <see cref="VideoFrameReader"/>,
/// the sample-data generator): which <c>ffmpeg</c>/<c>ffprobe</c> programs run, the largest limits any decoder may use, and
/// which container formats are read. None of these is ever stored in or read from a model zip, so a model can never
/// choose a program to run, raise a limit or enable a format.
/// </summary>
/// <remarks>
/// Programs are found once, on first use, and then always run by absolute path: <see cref="FfmpegPath"/> /
/// <see cref="FfprobePath"/> when the application set them, else the environment variables <c>MLNETVIDEO_FFMPEG</c> /
/// <c>MLNETVIDEO_FFPROBE</c>, else <c>ffmpeg</c>/<c>ffprobe</c> on <c>PATH</c>. A bare name is searched only in the
/// absolute folders of <c>PATH</c>: never in the current directory or the application's folder (as
/// <see cref="System.Diagnostics.Process.Start(string)"/> would), and empty or relative <c>PATH</c> entries are skipped.
/// A relative path with a folder in it is refused.
/// </remarks>
public static class VideoDecoding
{
    /// <summary>Environment variable naming the ffmpeg program (an absolute path, or a bare name searched on PATH).</summary>
    public const string FfmpegVariable = "MLNETVIDEO_FFMPEG";

    /// <summary>Environment variable naming the ffprobe program (an absolute path, or a bare name searched on PATH).</summary>
    public const string FfprobeVariable = "MLNETVIDEO_FFPROBE";

    /// <summary>Demuxers a video file may be read with unless the application changes <see cref="ContainerFormats"/>: the
    /// ordinary single-file containers (MP4/MOV, Matroska/WebM, AVI, MPEG-PS/TS, Ogg, ASF/WMV, FLV) and raw streams. Not
    /// in the list, so refused: playlists and scripts that make the decoder open other files or URLs (<c>hls</c>,
    /// <c>dash</c>, <c>concat</c>, <c>image2</c> patterns, <c>tee</c>...).</summary>
    public static IReadOnlyList<string> DefaultContainerFormats { get; } =
        ["mov", "mp4", "matroska", "webm", "avi", "mpeg", "mpegts", "mpegvideo", "ogg", "asf", "flv", "h264", "hevc", "m4v", "ivf", "yuv4mpegpipe"];

    /// <summary>Demuxers a frame image may be read with (PNG, JPEG and BMP by their content; never by a file-name pattern).</summary>
    internal const string FrameImageFormats = "png_pipe,jpeg_pipe,bmp_pipe";

    private static readonly Lock Gate = new();
    private static string? _ffmpegSetting;
    private static string? _ffprobeSetting;
    private static string? _ffmpegResolved;
    private static string? _ffprobeResolved;
    private static VideoDecodingLimits _limits = new();
    private static IReadOnlyList<string> _formats = DefaultContainerFormats;

    /// <summary>
    /// The ffmpeg program: set it to an absolute path or a bare name (searched on PATH) before the first decode, or to null
    /// to go back to <c>MLNETVIDEO_FFMPEG</c> or <c>ffmpeg</c> on PATH; reading it returns the absolute path that runs (found
    /// on first use, then kept).
    /// </summary>
    /// <exception cref="ArgumentException">A relative path with a folder in it.</exception>
    /// <exception cref="FileNotFoundException">(get) The program was not found.</exception>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public static string FfmpegPath
    {
        get => Resolve("ffmpeg", FfmpegVariable, ref _ffmpegSetting, ref _ffmpegResolved);
        set => Set(value, nameof(FfmpegPath), ref _ffmpegSetting, ref _ffmpegResolved);
    }

    /// <summary>The ffprobe program (as <see cref="FfmpegPath"/>; null goes back to <c>MLNETVIDEO_FFPROBE</c> or PATH).</summary>
    /// <exception cref="ArgumentException">A relative path with a folder in it.</exception>
    /// <exception cref="FileNotFoundException">(get) The program was not found.</exception>
    [System.Diagnostics.CodeAnalysis.AllowNull]
    public static string FfprobePath
    {
        get => Resolve("ffprobe", FfprobeVariable, ref _ffprobeSetting, ref _ffprobeResolved);
        set => Set(value, nameof(FfprobePath), ref _ffprobeSetting, ref _ffprobeResolved);
    }

    /// <summary>The largest limits any decoder of this process may use. A <c>LoadVideoFrames</c> or
    /// <see cref="VideoFrameReader"/> created in code with a larger value is refused; a model loaded from a zip has its
    /// saved limits lowered to these (a zip can tighten a limit, never raise it).</summary>
    /// <exception cref="ArgumentOutOfRangeException">(set) A limit is not positive.</exception>
    public static VideoDecodingLimits Limits
    {
        get => Volatile.Read(ref _limits);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            Volatile.Write(ref _limits, value);
        }
    }

    /// <summary>Demuxers (FFmpeg format names) a video file may be read with. Default <see cref="DefaultContainerFormats"/>.
    /// Add <c>hls</c> or <c>concat</c> only for files you trust: they make the decoder open the other files they name.</summary>
    /// <exception cref="ArgumentException">(set) Empty, or a name that is not lower-case letters, digits and '_'.</exception>
    public static IReadOnlyList<string> ContainerFormats
    {
        get => Volatile.Read(ref _formats);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (value.Count == 0 || value.Any(f => string.IsNullOrEmpty(f) || !f.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_')))
                throw new ArgumentException("ContainerFormats must name at least one FFmpeg demuxer, each in lower-case letters, digits and '_'.", nameof(value));
            Volatile.Write(ref _formats, value.ToArray());
        }
    }

    internal static string ContainerFormatList => string.Join(",", ContainerFormats);

    private static void Set(string? value, string name, ref string? setting, ref string? resolved)
    {
        if (value is not null)
            CheckForm(value, name);
        lock (Gate)
        {
            setting = value;
            resolved = null;
        }
    }

    private static string Resolve(string program, string variable, ref string? setting, ref string? resolved)
    {
        lock (Gate)
        {
            if (resolved is not null)
                return resolved;
            string source, wanted;
            if (setting is not null)
                (source, wanted) = ($"VideoDecoding.{(program == "ffmpeg" ? nameof(FfmpegPath) : nameof(FfprobePath))}", setting);
            else if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
                (source, wanted) = ($"the environment variable {variable}", fromEnvironment);
            else
                (source, wanted) = ("the default", program);
            try
            {
                CheckForm(wanted, source);
            }
            catch (ArgumentException e)
            {
                throw new FileNotFoundException(e.Message, wanted, e);
            }
            resolved = ExecutableSearch.Find(wanted)
                ?? throw new FileNotFoundException(
                    $"'{wanted}' ({source}) was not found{(Path.IsPathFullyQualified(wanted) ? " or is not an executable file" : " in the absolute folders of PATH")}. " +
                    $"Install FFmpeg (Debian/Ubuntu: apt-get install ffmpeg), or name the program with {variable} or VideoDecoding.{(program == "ffmpeg" ? nameof(FfmpegPath) : nameof(FfprobePath))}.",
                    wanted);
            return resolved;
        }
    }

    private static void CheckForm(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ArgumentException($"{name} is empty.", nameof(value));
        bool bare = value.IndexOfAny(['/', '\\']) < 0;
        if (!bare && !Path.IsPathFullyQualified(value))
            throw new ArgumentException(
                $"{name} is '{value}', a relative path; give an absolute path or a bare program name (searched on PATH), never a path relative to the current directory.", nameof(value));
    }
}
