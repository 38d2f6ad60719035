using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp;
using static TorchSharp.torch;

// Peak memory and time of one TSM training step (forward + cross-entropy + backward + SGD-momentum step) for
//   (a) TSM on all T frames,
//   (b) TSM + NFLB clustering (g = 8) after layer1, online path (the default: chunked counts, chunked sums, per-chunk
//       recompute in the backward pass; chunks of --chunk frames),
//   (s) = (b) with the first stage's output stored for all frames (OnlineClustering = false; the previous default),
//   (d) = (s) with the first stage recomputed in the backward pass (RecomputeShallowStage, chunks of --chunk frames),
//   (c) TSM on 8 uniformly sampled frames of the T-frame clip (the whole T-frame clip is in memory),
//   (e) TSM on an 8-frame clip (only the 8 sampled frames decoded: the strictest baseline),
// at T = 8, 32, 128, 512. Each measurement runs in a fresh child process (this program re-launched with "--child"),
// which reports its peak resident set (VmHWM) and stops itself when its resident set passes the cap.
//
// Usage: TsmBenchmarks [--depth 18|34|50] [--size 112] [--cap-gib 5] [--frames 8,32,128,512] [--configs a,b,c,e]
//        [--chunk 4] [--threads 2]

var arguments = Arguments.Parse(args);
if (arguments.Child is { } child)
    return ChildRun.Run(child, arguments);

Console.WriteLine($"TSM-ResNet-{arguments.Depth}, {arguments.Size}×{arguments.Size}, batch 1 clip, {arguments.Threads} threads, SGD, cap {arguments.CapGiB} GiB, " +
    $"{Environment.ProcessorCount} cores, TorchSharp-cpu 0.107");
Console.WriteLine();
Console.WriteLine("| config | T | deep stages see | peak RSS (MiB) | step peak over idle (MiB) | forward / backward / update peak over idle (MiB) | step time (s) |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
foreach (var config in arguments.Configs)
{
    foreach (int frames in arguments.Frames)
    {
        var line = RunChild(config, frames, arguments);
        Console.WriteLine(line);
    }
}
return 0;

static string RunChild(string config, int frames, Arguments arguments)
{
    string self = typeof(ChildRun).Assembly.Location;
    var start = new ProcessStartInfo(Environment.ProcessPath!)
    {
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        UseShellExecute = false,
    };
    if (!string.Equals(Path.GetFileNameWithoutExtension(Environment.ProcessPath), Path.GetFileNameWithoutExtension(self), StringComparison.Ordinal))
        start.ArgumentList.Add(self);   // running under "dotnet <dll>"
    foreach (var a in new[] { "--child", config, "--t", frames.ToString(CultureInfo.InvariantCulture), "--depth", arguments.Depth.ToString(CultureInfo.InvariantCulture),
        "--size", arguments.Size.ToString(CultureInfo.InvariantCulture), "--cap-gib", arguments.CapGiB.ToString(CultureInfo.InvariantCulture),
        "--threads", arguments.Threads.ToString(CultureInfo.InvariantCulture), "--chunk", arguments.Chunk.ToString(CultureInfo.InvariantCulture) })
        start.ArgumentList.Add(a);
    using var process = Process.Start(start)!;
    string output = process.StandardOutput.ReadToEnd();
    string error = process.StandardError.ReadToEnd();
    process.WaitForExit();
    string label = config switch
    {
        "a" => "(a) all frames",
        "b" => $"(b) clustering g = 8, online, chunks of {arguments.Chunk}",
        "s" => "(s) clustering g = 8, first stage stored",
        "c" => "(c) 8 sampled frames of the T-frame clip",
        "e" => "(e) 8-frame clip (8 frames decoded)",
        _ => $"(d) clustering g = 8, stored output, stage recomputed in chunks of {arguments.Chunk}",
    };
    string deep = config switch { "a" => frames.ToString(CultureInfo.InvariantCulture), _ => Math.Min(8, frames).ToString(CultureInfo.InvariantCulture) };
    var result = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
    var capLine = output.Split('\n').FirstOrDefault(l => l.StartsWith("CAP ", StringComparison.Ordinal));
    if (capLine is not null)
        return $"| {label} | {frames} | {deep} | **exceeds {arguments.CapGiB} GiB** | – | – | – |";
    if (process.ExitCode != 0 || result is null)
        return $"| {label} | {frames} | {deep} | failed (exit {process.ExitCode}: {error.Split('\n').FirstOrDefault()}) | – | – | – |";
    var parts = result.Split(' ');
    return $"| {label} | {frames} | {deep} | {parts[1]} | {parts[2]} | {parts[4]} / {parts[5]} / {parts[6]} | {parts[3]} |";
}

internal sealed record Arguments(string? Child, int T, int Depth, int Size, double CapGiB, int[] Frames, int Threads, string[] Configs, int Chunk)
{
    public static Arguments Parse(string[] args)
    {
        var a = new Arguments(null, 8, 50, 112, 5, [8, 32, 128, 512], 2, ["a", "b", "c", "e"], 4);
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : "";
            a = args[i] switch
            {
                "--child" => a with { Child = value },
                "--t" => a with { T = int.Parse(value, CultureInfo.InvariantCulture) },
                "--depth" => a with { Depth = int.Parse(value, CultureInfo.InvariantCulture) },
                "--size" => a with { Size = int.Parse(value, CultureInfo.InvariantCulture) },
                "--cap-gib" => a with { CapGiB = double.Parse(value, CultureInfo.InvariantCulture) },
                "--frames" => a with { Frames = [.. value.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture))] },
                "--chunk" => a with { Chunk = int.Parse(value, CultureInfo.InvariantCulture) },
                "--configs" => a with { Configs = value.Split(',') },
                "--threads" => a with { Threads = int.Parse(value, CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"Unknown argument {args[i]}."),
            };
            i++;
        }
        return a;
    }
}

internal static class ChildRun
{
    public static int Run(string config, Arguments arguments)
    {
        torch.set_num_threads(arguments.Threads);
        torch.manual_seed(1);
        long cap = (long)(arguments.CapGiB * 1024 * 1024 * 1024);
        var spec = new TsmSpec
        {
            Depth = (TsmDepth)arguments.Depth,
            NumClasses = 10,
            DropoutRate = 0.5,
            Clustering = config is "b" or "s" or "d" ? TsmClustering.Cumulative : TsmClustering.None,
            OnlineClustering = config == "b",
            RecomputeShallowStage = config == "d",
            ShallowChunkFrames = config is "b" or "d" ? arguments.Chunk : 0,
            ClusterCount = 8,
            Aggregation = ClusterAggregation.Sum,
            SampledFrames = config is "c" or "e" ? 8 : 0,
        };
        using var network = (TsmNetwork)TsmBackbone.Instance.CreateNetwork(spec);
        network.train();
        using var optimizer = torch.optim.SGD(network.parameters(), 0.01, momentum: 0.9);
        // (e): only the frames TSM uses exist, as when a decoder extracts just the 8 sampled frames.
        int decoded = config == "e" ? Math.Min(8, arguments.T) : arguments.T;
        using var clips = randn([1, decoded, 3, arguments.Size, arguments.Size]);
        using var labels = tensor(new long[] { 3 });

        long idle = Status("VmRSS");
        using var guard = new Timer(_ =>
        {
            long rss = Status("VmRSS");
            if (rss > cap)
            {
                // Report, then end at once: a managed exit could race with libtorch threads still allocating.
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CAP {rss / 1048576}"));
                Console.Out.Flush();
                Environment.FailFast($"Resident set {rss / 1048576} MiB passed the cap.");
            }
        }, null, 0, 5);

        // Peak of each phase: VmHWM is read at the end of the phase, then reset (/proc/self/clear_refs "5") for the next one.
        var watch = Stopwatch.StartNew();
        long forwardPeak, backwardPeak, updatePeak;
        using (var step = NewDisposeScope())
        {
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(network.call(clips), labels);
            forwardPeak = PhasePeak();
            loss.backward();
            backwardPeak = PhasePeak();
            optimizer.step();
            _ = loss.item<float>();
        }
        watch.Stop();
        updatePeak = PhasePeak();
        long peak = Math.Max(forwardPeak, Math.Max(backwardPeak, updatePeak));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RESULT {peak / 1048576} {(peak - idle) / 1048576} {watch.Elapsed.TotalSeconds:F2} {(forwardPeak - idle) / 1048576} {(backwardPeak - idle) / 1048576} {(updatePeak - idle) / 1048576}"));
        return 0;
    }

    /// <summary>The peak resident set since the last call (or the start), then resets the peak.</summary>
    private static long PhasePeak()
    {
        long peak = Status("VmHWM");
        File.WriteAllText("/proc/self/clear_refs", "5");
        return peak;
    }

    /// <summary>A /proc/self/status field in bytes (Linux).</summary>
    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new PlatformNotSupportedException($"/proc/self/status has no {field} (the benchmark needs Linux).");
    }
}
