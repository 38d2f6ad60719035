using MLNetVideo.Determinism;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Transforms.SampleData;

/// <summary>
/// A seeded generator of a small labelled action set encoded to real video files with ffmpeg: one bright shape (square or
/// disc, random colour, size and start position) on a noisy dark background moves left/right/up/down, circles
/// clockwise/anticlockwise, or grows/shrinks. Written as <c>&lt;folder&gt;/&lt;class&gt;/&lt;n&gt;.mp4</c>, the layout
/// <see cref="Datasets.VideoDataset.FromDirectory"/> reads.
/// </summary>
public static class SyntheticActionVideos
{
    /// <summary>Generates the set.</summary>
    /// <param name="folder">Output folder (created; existing files of the same names are replaced).</param>
    /// <param name="options">Settings; null for defaults (8 classes × 8 videos of 16 frames, 64×64).</param>
    /// <returns>The videos in class order, then index order.</returns>
    public static IReadOnlyList<SyntheticVideo> Generate(string folder, SyntheticActionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        options ??= new SyntheticActionOptions();
        Validate(options);
        string root = System.IO.Path.GetFullPath(folder);
        var result = new List<SyntheticVideo>();
        int index = 0;
        foreach (var action in options.Classes.Distinct())
        {
            string label = action.ToString().ToLowerInvariant();
            Directory.CreateDirectory(System.IO.Path.Combine(root, label));
            for (int n = 0; n < options.VideosPerClass; n++, index++)
            {
                var random = Seeding.CreateRandom(options.Seed, RandomStream.Model, index * 16 + (int)action);
                var frames = Render(action, options, random);
                string name = $"{n:D3}{Extension(options.Format)}";
                string path = System.IO.Path.Combine(root, label, name);
                Encode(path, frames, options.Size, options.Size, options.FramesPerSecond, options.Format);
                result.Add(new SyntheticVideo(path, $"{label}/{name}", label));
            }
        }
        return result;
    }

    /// <summary>Encodes RGB24 frames (each width × height × 3 bytes, row-major) with ffmpeg (<see cref="VideoDecoding.FfmpegPath"/>).
    /// For the frame-folder formats <paramref name="path"/> is the folder to create.</summary>
    /// <param name="path">Output file or folder.</param>
    /// <param name="frames">The frames.</param>
    /// <param name="width">Width (even for the H.264/VP9 formats).</param>
    /// <param name="height">Height (even for the H.264/VP9 formats).</param>
    /// <param name="framesPerSecond">Frame rate.</param>
    /// <param name="format">Container and codec.</param>
    public static void Encode(string path, IReadOnlyList<byte[]> frames, int width, int height, double framesPerSecond,
        SyntheticVideoFormat format = SyntheticVideoFormat.Mp4H264)
    {
        ArgumentNullException.ThrowIfNull(frames);
        if (frames.Any(f => f.Length != width * height * 3))
            throw new ArgumentException($"Every frame must hold width × height × 3 = {width * height * 3} bytes.", nameof(frames));
        string full = System.IO.Path.GetFullPath(path);
        string[] codec = format switch
        {
            SyntheticVideoFormat.WebmVp9 => ["-c:v", "libvpx-vp9", "-pix_fmt", "yuv420p", "-b:v", "0", "-crf", "20", "-deadline", "realtime", "-cpu-used", "8", "-threads", "1", "-f", "webm"],
            SyntheticVideoFormat.AviMjpeg => ["-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-q:v", "2", "-f", "avi"],
            SyntheticVideoFormat.MkvH264 => ["-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", "-threads", "1", "-f", "matroska"],
            SyntheticVideoFormat.JpgFrames => ["-q:v", "2", "-start_number", "0", "-f", "image2"],
            SyntheticVideoFormat.PngFrames => ["-start_number", "0", "-f", "image2"],
            _ => ["-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", "-threads", "1", "-movflags", "+faststart", "-f", "mp4"],
        };
        string target = full;
        if (format is SyntheticVideoFormat.JpgFrames or SyntheticVideoFormat.PngFrames)
        {
            Directory.CreateDirectory(full);
            target = System.IO.Path.Combine(full, format == SyntheticVideoFormat.JpgFrames ? "%d.jpg" : "%d.png");
        }
        FfmpegDecoder.EncodeRgb24(target, frames, width, height, framesPerSecond, codec, FfmpegSettings.Default);
    }

    /// <summary>The file extension of a format ("" for frame folders).</summary>
    /// <param name="format">The format.</param>
    /// <returns>For example ".mp4".</returns>
    public static string Extension(SyntheticVideoFormat format) => format switch
    {
        SyntheticVideoFormat.WebmVp9 => ".webm",
        SyntheticVideoFormat.AviMjpeg => ".avi",
        SyntheticVideoFormat.MkvH264 => ".mkv",
        SyntheticVideoFormat.JpgFrames or SyntheticVideoFormat.PngFrames => "",
        _ => ".mp4",
    };

    /// <summary>Renders one video's RGB24 frames.</summary>
    internal static List<byte[]> Render(SyntheticAction action, SyntheticActionOptions options, Random random)
    {
        int size = options.Size, frames = options.Frames;
        var (r, g, b) = options.RandomColours
            ? HslToRgb(random.NextDouble(), 0.9, 0.55)
            : ((byte)255, (byte)0, (byte)0);
        bool disc = random.Next(2) == 0;
        double radius = size * (0.08 + 0.05 * random.NextDouble());       // half side or radius
        double travel = size * (0.35 + 0.15 * random.NextDouble());       // distance moved over the clip
        double margin = radius + 1;
        // Start so that the whole path stays inside the frame.
        double x0 = margin + random.NextDouble() * (size - 2 * margin);
        double y0 = margin + random.NextDouble() * (size - 2 * margin);
        switch (action)
        {
            case SyntheticAction.Left: x0 = margin + travel + random.NextDouble() * Math.Max(0, size - 2 * margin - travel); break;
            case SyntheticAction.Right: x0 = margin + random.NextDouble() * Math.Max(0, size - 2 * margin - travel); break;
            case SyntheticAction.Up: y0 = margin + travel + random.NextDouble() * Math.Max(0, size - 2 * margin - travel); break;
            case SyntheticAction.Down: y0 = margin + random.NextDouble() * Math.Max(0, size - 2 * margin - travel); break;
        }
        double orbit = size * (0.18 + 0.08 * random.NextDouble());
        double phase = random.NextDouble() * 2 * Math.PI;
        double cx = size / 2.0 + (random.NextDouble() - 0.5) * (size - 2 * (orbit + radius + 1)) ;
        double cy = size / 2.0 + (random.NextDouble() - 0.5) * (size - 2 * (orbit + radius + 1));
        double minRadius = size * 0.05, maxRadius = size * 0.25;
        double gx = size / 2.0 + (random.NextDouble() - 0.5) * (size - 2 * maxRadius - 2);
        double gy = size / 2.0 + (random.NextDouble() - 0.5) * (size - 2 * maxRadius - 2);

        var result = new List<byte[]>(frames);
        int noise = (int)Math.Round(Math.Clamp(options.Noise, 0, 1) * 255);
        for (int f = 0; f < frames; f++)
        {
            double p = frames == 1 ? 0 : f / (double)(frames - 1);
            double x = x0, y = y0, rad = radius;
            switch (action)
            {
                case SyntheticAction.Left: x = x0 - travel * p; break;
                case SyntheticAction.Right: x = x0 + travel * p; break;
                case SyntheticAction.Up: y = y0 - travel * p; break;
                case SyntheticAction.Down: y = y0 + travel * p; break;
                case SyntheticAction.Clockwise:
                case SyntheticAction.Anticlockwise:
                    // Three quarters of a turn; with y pointing down, increasing angle is clockwise on screen.
                    double angle = phase + (action == SyntheticAction.Clockwise ? 1 : -1) * 1.5 * Math.PI * p;
                    x = cx + orbit * Math.Cos(angle);
                    y = cy + orbit * Math.Sin(angle);
                    break;
                case SyntheticAction.Growing: x = gx; y = gy; rad = minRadius + (maxRadius - minRadius) * p; break;
                case SyntheticAction.Shrinking: x = gx; y = gy; rad = maxRadius - (maxRadius - minRadius) * p; break;
            }
            var frame = new byte[size * size * 3];
            for (int py = 0; py < size; py++)
                for (int px = 0; px < size; px++)
                {
                    int o = (py * size + px) * 3;
                    double dx = px + 0.5 - x, dy = py + 0.5 - y;
                    bool inside = disc ? dx * dx + dy * dy <= rad * rad : Math.Abs(dx) <= rad && Math.Abs(dy) <= rad;
                    if (inside)
                    {
                        frame[o] = r; frame[o + 1] = g; frame[o + 2] = b;
                    }
                    else if (noise > 0)
                    {
                        byte v = (byte)random.Next(noise + 1);
                        frame[o] = v; frame[o + 1] = v; frame[o + 2] = v;
                    }
                }
            result.Add(frame);
        }
        return result;
    }

    private static (byte, byte, byte) HslToRgb(double h, double s, double l)
    {
        double q = l < 0.5 ? l * (1 + s) : l + s - l * s, p = 2 * l - q;
        static double Hue(double p, double q, double t)
        {
            t = (t % 1 + 1) % 1;
            return t < 1 / 6.0 ? p + (q - p) * 6 * t : t < 0.5 ? q : t < 2 / 3.0 ? p + (q - p) * (2 / 3.0 - t) * 6 : p;
        }
        return ((byte)Math.Round(255 * Hue(p, q, h + 1 / 3.0)), (byte)Math.Round(255 * Hue(p, q, h)), (byte)Math.Round(255 * Hue(p, q, h - 1 / 3.0)));
    }

    private static void Validate(SyntheticActionOptions options)
    {
        Errors.OptionChecks.Positive(options.VideosPerClass, nameof(options.VideosPerClass));
        Errors.OptionChecks.Positive(options.Frames, nameof(options.Frames));
        Errors.OptionChecks.Positive(options.FramesPerSecond, nameof(options.FramesPerSecond));
        if (options.Size < 16 || options.Size % 2 != 0)
            throw new ArgumentOutOfRangeException(nameof(options), options.Size, $"Size must be an even number of at least 16; got {options.Size}.");
        if (options.Classes is null || options.Classes.Count == 0)
            throw new ArgumentException("Classes must name at least one action.", nameof(options));
        Errors.OptionChecks.InRange(options.Noise, 0, 1, nameof(options.Noise));
    }
}
