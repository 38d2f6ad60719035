using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

// Usage: dotnet run -c Release --project benchmarks/ClusterBenchmarks -- [--videos 64] [--repeats 3] [--shard-size 8] [--work out/cluster-bench]
// Scores the same archive (the CLI's sample set: 16 frames of 48², 4 classes) with the CLI's default S3D-G (×0.125,
// 8 frames of 32²) in four ways, interleaved, one torch thread per concurrent forward:
//   plain-1t: one process, model.Transform over all videos, torch threads 1
//   plain-2t: the same with torch threads 2
//   silos-1:  LocalVideoCluster with 1 silo, 1 shard at a time, torch threads 1
//   silos-2:  LocalVideoCluster with 2 silos, 1 shard at a time each, torch threads 1
// and measures decoding alone (LoadVideoFrames) to split a video's time into decode and forward.
var invariant = CultureInfo.InvariantCulture;
string Option(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
int perClass = int.Parse(Option("--videos", "64"), invariant) / 4;
int repeats = int.Parse(Option("--repeats", "3"), invariant);
int shardSize = int.Parse(Option("--shard-size", "8"), invariant);
string work = Path.GetFullPath(Option("--work", "out/cluster-bench"));
if (Directory.Exists(work)) Directory.Delete(work, recursive: true);
Directory.CreateDirectory(work);
string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
Console.WriteLine($"# cluster benchmark on {Environment.ProcessorCount} cores, load average {Load()}, {DateTime.UtcNow:u}");

var videos = SyntheticActionVideos.Generate(Path.Combine(work, "videos"), new SyntheticActionOptions
{
    VideosPerClass = perClass, Frames = 16, Size = 48, Seed = 7,
    Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
}).Select(v => v.Path).ToArray();
long bytes = videos.Sum(v => new FileInfo(v).Length);
Console.WriteLine($"{videos.Length} videos, {bytes / videos.Length / 1024.0:F1} KiB each on average");

var loader = new VideoFrameLoadingEstimator.Options
{
    InputColumnName = "VideoPath", OutputColumnName = "Frames", Sampling = SamplingMode.Uniform, FramesPerClip = 8, FrameSize = 32,
    Layout = ClipLayout.Cthw, Normalization = PixelNormalization.MinusOneToOne,
};
string zip = Path.Combine(work, "model.zip");
{
    var ml = new MLContext(seed: 1);
    var data = ml.Data.LoadFromEnumerable(videos.Select(v => new Row { VideoPath = v, Label = Path.GetFileName(Path.GetDirectoryName(v))! }));
    var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadVideoFrames(loader)).AppendCacheCheckpoint(ml)
        .Append(ml.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options { Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 2, BatchSize = 8, Optimizer = VideoOptimizer.AdamW, Device = "cpu", Seed = 1 }))
        .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel")).Fit(data);
    ml.Model.SaveAtomically(model, data.Schema, zip);
}

double Plain(int threads, bool decodeOnly)
{
    TorchSharp.torch.set_num_threads(threads);
    var ml = new MLContext(seed: 1);
    var input = ml.Data.LoadFromEnumerable(videos.Select(v => new Row { VideoPath = v }));
    var watch = Stopwatch.StartNew();
    if (decodeOnly)
    {
        var decoded = ml.Transforms.LoadVideoFrames(loader).Fit(input).Transform(input);
        Drain(decoded, "Frames");
    }
    else
    {
        var model = ml.Model.Load(zip, out _);   // loading is part of a job's cost
        Drain(model.Transform(input), "Score");
        (model as IDisposable)?.Dispose();
    }
    return watch.Elapsed.TotalSeconds;
}

async Task<(double Job, double Start)> Cluster(int silos, int repeat)
{
    var start = Stopwatch.StartNew();
    await using var cluster = await LocalVideoCluster.StartAsync(new LocalVideoClusterOptions
    {
        Silos = silos, StateFolder = Path.Combine(work, $"state-{silos}-{repeat}"), TorchThreads = 1, MaxConcurrentShardsPerSilo = 1,
        PollInterval = TimeSpan.FromMilliseconds(50),
    });
    double startup = start.Elapsed.TotalSeconds;
    var job = VideoJob.Score(zip, videos, Path.Combine(work, $"out-{silos}-{repeat}"), shardSize);
    var watch = Stopwatch.StartNew();
    var final = await VideoJobs.RunAsync(cluster.Client, job, pollInterval: TimeSpan.FromMilliseconds(50));
    double seconds = watch.Elapsed.TotalSeconds;
    if (final.Done != videos.Length || final.Failed != 0) throw new InvalidOperationException($"job incomplete: {final}");
    return (seconds, startup);
}

var results = new Dictionary<string, List<double>>
{
    ["decode-1t"] = [], ["plain-1t"] = [], ["plain-2t"] = [], ["silos-1"] = [], ["silos-2"] = [], ["start-1"] = [], ["start-2"] = [],
};
for (int r = 0; r < repeats; r++)
{
    results["decode-1t"].Add(Plain(1, decodeOnly: true));
    results["plain-1t"].Add(Plain(1, decodeOnly: false));
    results["plain-2t"].Add(Plain(2, decodeOnly: false));
    var one = await Cluster(1, r);
    results["silos-1"].Add(one.Job);
    results["start-1"].Add(one.Start);
    var two = await Cluster(2, r);
    results["silos-2"].Add(two.Job);
    results["start-2"].Add(two.Start);
    Console.WriteLine(string.Create(invariant, $"repeat {r + 1}: {string.Join(", ", results.Select(kv => $"{kv.Key} {kv.Value[^1]:F2} s"))} (load {Load()})"));
}

double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
double n = videos.Length;
Console.WriteLine();
Console.WriteLine($"| way | seconds for {videos.Length} videos (median of {repeats}) | videos/s | ms per video | vs plain-1t |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var name in new[] { "plain-1t", "plain-2t", "silos-1", "silos-2" })
{
    double s = Median(results[name]);
    Console.WriteLine(string.Create(invariant, $"| {name} | {s:F2} | {n / s:F1} | {1000 * s / n:F1} | {Median(results["plain-1t"]) / s:F2}× |"));
}
double decode = Median(results["decode-1t"]) / n, plain = Median(results["plain-1t"]) / n;
Console.WriteLine(string.Create(invariant, $"decode alone: {1000 * decode:F1} ms/video; forward and scoring (plain-1t − decode): {1000 * (plain - decode):F1} ms/video"));
Console.WriteLine(string.Create(invariant, $"cluster overhead per video (silos-1 − plain-1t): {1000 * (Median(results["silos-1"]) / n - plain):F1} ms; cluster start: {Median(results["start-1"]):F2} s (1 silo), {Median(results["start-2"]):F2} s (2 silos)"));
Console.WriteLine(string.Create(invariant, $"video bytes read at silos-2's rate: {bytes / Median(results["silos-2"]) / 1e6:F2} MB/s; shards: {(videos.Length + shardSize - 1) / shardSize} of {shardSize}"));
Console.WriteLine($"# done, load average {Load()}");
return 0;

static void Drain(IDataView data, string column)
{
    var col = data.Schema[column];
    using var cursor = data.GetRowCursor([col]);
    var getter = cursor.GetGetter<VBuffer<float>>(col);
    VBuffer<float> value = default;
    while (cursor.MoveNext()) getter(ref value);
}

internal sealed class Row
{
    public string VideoPath { get; set; } = "";

    public string Label { get; set; } = "";
}
