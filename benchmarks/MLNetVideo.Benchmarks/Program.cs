// MLNetVideo benchmarks. Usage:
//   dotnet run -c Release --project benchmarks/MLNetVideo.Benchmarks -- decode [--repeats N] [--work DIR]
//   dotnet run -c Release --project benchmarks/MLNetVideo.Benchmarks -- score [--repeats N] [--videos N] [--work DIR]   (ScoreBenchmark.cs)
// "decode": frames/s of LoadVideoFrames (decode + sample + resize + normalize into the tensor) against ffmpeg alone
// (ffmpeg -i X -vf scale=W:H -f rawvideo -pix_fmt rgb24 -y /dev/null) on the same generated files, side by side.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Transforms.Decoding;

if (args.Length > 0 && args[0] == "score")
    return ScoreBenchmark.Run(args);
if (args.Length == 0 || args[0] != "decode")
{
    Console.Error.WriteLine("usage: MLNetVideo.Benchmarks decode|score [--repeats N] [--work DIR]");
    return 2;
}
int repeats = 3;
string work = Path.Combine(Path.GetTempPath(), "mlnv-bench");
for (int i = 1; i < args.Length - 1; i++)
{
    if (args[i] == "--repeats") repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
    else if (args[i] == "--work") work = args[++i];
}
Directory.CreateDirectory(work);
string shortVideo = Path.Combine(work, "testsrc2-640x360-20s.mp4");
string longVideo = Path.Combine(work, "testsrc2-640x360-300s.mp4");
Generate(shortVideo, 20, "medium");
Generate(longVideo, 300, "veryfast");

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; {Ffmpeg("-version").Split('\n')[0]}");
Console.WriteLine($"repeats: {repeats} (median reported)");
Console.WriteLine();
Console.WriteLine("| case | size | frames | ffmpeg alone, s | LoadVideoFrames first row, s | LoadVideoFrames later rows, s | ours ÷ ffmpeg (first / later) |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (int size in new[] { 112, 224 })
{
    // Dense: every frame of the 20 s clip (600 frames) into one [600, 3, S, S] tensor.
    Row($"dense, all frames, 20 s 640×360 H.264", size, 600, shortVideo,
        new VideoFrameLoadingEstimator.Options { Sampling = SamplingMode.All, FramesPerClip = 600, FrameSize = size, Resize = ResizeMode.Stretch, Normalization = PixelNormalization.ImageNet });
    // Dense clip: 16 consecutive frames from the middle of the 20 s clip (one process per clip).
    Row($"dense clip 16×1 (centre), 20 s", size, 16, shortVideo,
        new VideoFrameLoadingEstimator.Options { Sampling = SamplingMode.Dense, FramesPerClip = 16, FrameInterval = 1, FrameSize = size, Resize = ResizeMode.Stretch, Normalization = PixelNormalization.ImageNet },
        referenceFrames: 600);
    // Sparse: 8 uniform segments of the 5-minute video: seek route (default) and decode-through route.
    Row($"sparse 8 frames (uniform), 5 min, seek route", size, 8, longVideo,
        new VideoFrameLoadingEstimator.Options { Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = size, Resize = ResizeMode.Stretch, Normalization = PixelNormalization.ImageNet },
        referenceFrames: 9000);
    int saved = FfmpegDecoder.SeekGapFrames;
    FfmpegDecoder.SeekGapFrames = int.MaxValue;
    Row($"sparse 8 frames (uniform), 5 min, select route (no seek)", size, 8, longVideo,
        new VideoFrameLoadingEstimator.Options { Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = size, Resize = ResizeMode.Stretch, Normalization = PixelNormalization.ImageNet },
        referenceFrames: 9000);
    FfmpegDecoder.SeekGapFrames = saved;
}
return 0;

void Row(string name, int size, int frames, string video, VideoFrameLoadingEstimator.Options options, int? referenceFrames = null)
{
    int refFrames = referenceFrames ?? frames;
    var reference = new List<double>();
    var cold = new List<double>();
    var warm = new List<double>();
    options.InputColumnName = "VideoPath";
    for (int r = 0; r < repeats; r++)
    {
        // Interleaved so both sides see the same machine load.
        reference.Add(Time(() => Ffmpeg("-hide_banner", "-loglevel", "error", "-i", video, "-vf", $"scale={size}:{size}", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", "/dev/null")));
        // A fresh MLContext and transformer each time; two rows of the same file in one cursor: the first row is cold
        // (ffprobe + decode + allocation of the clip buffers), the second warm (cached probe, reused buffers: every later row of a dataset).
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new PathRow { VideoPath = video }, new PathRow { VideoPath = video } });
        var view = mlContext.Transforms.LoadVideoFrames(options).Fit(data).Transform(data);
        var times = ReadRows(view, options.OutputColumnName);
        cold.Add(times[0]);
        warm.Add(times[1]);
    }
    double refS = Median(reference), coldS = Median(cold), warmS = Median(warm);
    double refFps = refFrames / refS, coldFps = frames / coldS, warmFps = frames / warmS;
    string ratio = referenceFrames is null ? $"{coldFps / refFps:0.00}× / {warmFps / refFps:0.00}× fps" : $"{coldS / refS:0.000}× / {warmS / refS:0.000}× time";
    Console.WriteLine($"| {name} | {size}² | {frames} (ffmpeg: {refFrames}) | {refS:0.000} ({refFps:0} fps) | {coldS:0.000} ({coldFps:0} fps) | {warmS:0.000} ({warmFps:0} fps) | {ratio} |");
}

static double[] ReadRows(IDataView view, string column)
{
    var col = view.Schema[column];
    using var cursor = view.GetRowCursor([col]);
    var getter = cursor.GetGetter<VBuffer<float>>(col);
    var value = default(VBuffer<float>);
    var times = new List<double>();
    var watch = Stopwatch.StartNew();
    while (cursor.MoveNext())
    {
        getter(ref value);
        times.Add(watch.Elapsed.TotalSeconds);
        watch.Restart();
    }
    if (value.Length == 0) throw new InvalidOperationException("no clip decoded");
    return [.. times];
}

static double Time(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalSeconds;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}

static void Generate(string path, int seconds, string preset)
{
    if (File.Exists(path)) return;
    Console.Error.WriteLine($"generating {path} ...");
    Ffmpeg("-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", $"testsrc2=size=640x360:rate=30", "-t", seconds.ToString(CultureInfo.InvariantCulture),
        "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-y", path);
}

static string Ffmpeg(params string[] arguments)
{
    var info = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    foreach (var a in arguments) info.ArgumentList.Add(a);
    using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start ffmpeg");
    var stderr = process.StandardError.ReadToEndAsync();
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0) throw new InvalidOperationException($"ffmpeg failed: {stderr.Result}");
    return output;
}

internal sealed class PathRow
{
    public string VideoPath { get; set; } = "";
}
