using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.MoViNet;
using TorchSharp;
using static TorchSharp.torch;

// Usage:
//   dotnet run -c Release --project benchmarks/MoViNetBenchmarks -- [costs] [size=64] [frames=16,64,256,1024] [capMiB=5120] [threads=1] [modes=stream,base]
// ("costs" prints only the parameter / MAC table.)
// Every configuration runs in a fresh child process (this program with "child <mode> <frames> <size> <threads>") so that its peak
// resident set (VmHWM of /proc/self/status) is its own. The parent polls each child's VmRSS and kills it above capMiB
// (reported as "> cap"), so that no configuration takes the shared machine down.
var invariant = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "child")
{
    string mode = args[1];
    int frames = int.Parse(args[2], invariant), size = int.Parse(args[3], invariant), threads = int.Parse(args[4], invariant);
    torch.set_num_threads(threads);
    manual_seed(1);
    var spec = MoViNetSpecs.For(MoViNetVariant.A0, mode == "stream" ? MoViNetMode.Stream : MoViNetMode.Base, 600);
    using var network = (MoViNetNetwork)MoViNetBackbone.Instance.CreateNetwork(spec);
    network.eval();
    long baseline = Status("VmHWM:");
    var latencies = new List<double>();
    long stateFloats = 0, liveAt16 = -1, liveAtEnd = -1, rssAt16 = -1, managedAt16 = -1;
    // Diagnostics: MOVINET_BENCH_GC_EVERY=n forces a full GC every n pushes (is the growth managed garbage?).
    int gcEvery = int.TryParse(Environment.GetEnvironmentVariable("MOVINET_BENCH_GC_EVERY"), out var n) ? n : 0;
    var cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    var watch = Stopwatch.StartNew();
    using (inference_mode())
    {
        if (mode == "stream")
        {
            using var stream = network.CreateStream(torch.CPU);
            for (int t = 0; t < frames; t++)
            {
                var push = Stopwatch.StartNew();
                using (var scope = NewDisposeScope())
                    stream.Push(rand([1, 3, 1, size, size]));
                latencies.Add(push.Elapsed.TotalMilliseconds);
                if (gcEvery > 0 && (t + 1) % gcEvery == 0)
                {
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                }
                if (t == Math.Min(15, frames - 1))
                {
                    liveAt16 = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
                    rssAt16 = Status("VmRSS:");
                    managedAt16 = GC.GetGCMemoryInfo().HeapSizeBytes / 1024;
                }
            }
            liveAtEnd = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
            stateFloats = stream.StateElementCount;
        }
        else
        {
            using var scope = NewDisposeScope();
            network.call(rand([1, 3, frames, size, size]));
            latencies.Add(watch.Elapsed.TotalMilliseconds / frames);
        }
    }
    watch.Stop();
    double perFrame = watch.Elapsed.TotalMilliseconds / frames;
    double cpuPerFrame = (Process.GetCurrentProcess().TotalProcessorTime - cpuStart).TotalMilliseconds / frames;
    int k = Math.Min(16, latencies.Count);
    double first = latencies.Take(k).Average(), last = latencies.TakeLast(k).Average();
    Console.WriteLine(string.Create(invariant,
        $"RESULT {mode} {frames} {size} {Status("VmHWM:")} {baseline} {perFrame:F2} {first:F2} {last:F2} {stateFloats} {liveAt16} {liveAtEnd} {rssAt16} {Status("VmRSS:")} {cpuPerFrame:F2} {managedAt16} {GC.GetGCMemoryInfo().HeapSizeBytes / 1024} {GC.CollectionCount(0)} {GC.CollectionCount(2)}"));
    return 0;
}

bool costsOnly = args.Length > 0 && args[0] == "costs";
if (costsOnly) args = args[1..];
int sizeArg = args.Length > 0 ? int.Parse(args[0], invariant) : 64;
int[] lengths = args.Length > 1 ? args[1].Split(',').Select(s => int.Parse(s, invariant)).ToArray() : [16, 64, 256, 1024];
long capKiB = (args.Length > 2 ? long.Parse(args[2], invariant) : 5120) * 1024;
// One intra-op thread by default: on a loaded 2-core machine libtorch's OpenMP threads spin at every barrier and the
// timings become meaningless; memory does not depend on it.
int threadsArg = args.Length > 3 ? int.Parse(args[3], invariant) : 1;
string[] modes = args.Length > 4 ? args[4].Split(',') : ["stream", "base"];
Console.WriteLine($"MoViNet-A0 (600 classes), {sizeArg}×{sizeArg}, {Environment.ProcessorCount} CPU cores, {threadsArg} libtorch thread(s), {RuntimeInformationText()}, cap {capKiB / 1024} MiB");
Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine();
Console.WriteLine("| Mode | Frames | Peak RSS (MiB) | Peak RSS after the model was built (MiB) | Peak − built (MiB) | ms / frame (wall) | CPU ms / frame | ms / push (first 16 / last 16) | State floats | Live tensors after push 16 / last |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
var streamPeaks = new Dictionary<int, long>();
foreach (var mode in costsOnly ? [] : modes)
{
    foreach (int frames in lengths)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, ["child", mode, frames.ToString(invariant), sizeArg.ToString(invariant), threadsArg.ToString(invariant)])
        { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Insert(0, typeof(MoViNetNetwork).Assembly.Location.Replace("MLNetVideo.Trainers.dll", "MoViNetBenchmarks.dll", StringComparison.Ordinal));
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEndAsync();
        var errors = child.StandardError.ReadToEndAsync();   // libtorch warnings (NNPACK on unsupported CPUs), not shown
        long maxRss = 0;
        bool capped = false;
        while (!child.WaitForExit(20))
        {
            long rss = ChildRssKiB(child.Id);
            maxRss = Math.Max(maxRss, rss);
            if (rss > capKiB)
            {
                capped = true;
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                break;
            }
        }
        string line = output.Result.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal)) ?? "";
        var f = line.Split(' ');
        string label = mode == "stream" ? "stream A0 (1 frame per push)" : "base A0 (whole clip)";
        if (capped)
        {
            Console.WriteLine($"| {label} | {frames} | > {capKiB / 1024} (killed at the cap) | | | | | | | |");
            continue;
        }
        if (child.ExitCode != 0 || f.Length != 19)
        {
            Console.WriteLine($"| {label} | {frames} | failed (exit {child.ExitCode}, max RSS seen {maxRss / 1024} MiB) | | | | | | | |");
            continue;
        }
        long peak = long.Parse(f[4], invariant), built = long.Parse(f[5], invariant);
        if (mode == "stream") streamPeaks[frames] = peak;
        string latency = mode == "stream" ? $"{f[7]} / {f[8]}" : "–";
        string state = mode == "stream" ? $"{long.Parse(f[9], invariant):N0}" : "–";
        string live = mode == "stream" ? $"{f[10]} / {f[11]}" : "–";
        Console.WriteLine(string.Create(invariant,
            $"| {label} | {frames} | {peak / 1024.0:F0} | {built / 1024.0:F0} | {(peak - built) / 1024.0:F0} | {f[6]} | {f[14]} | {latency} | {state} | {live} |"));
    }
}
if (streamPeaks.Count >= 2)
{
    int shortest = streamPeaks.Keys.Min(), longest = streamPeaks.Keys.Max();
    Console.WriteLine();
    Console.WriteLine(string.Create(invariant,
        $"Streaming peak RSS at {longest} frames / at {shortest} frames = {(double)streamPeaks[longest] / streamPeaks[shortest]:F3} (goal ≤ 1.05)"));
}
if (!costsOnly)
    Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");

Console.WriteLine();
Console.WriteLine("| Model | Input | Params (ours) | of which classifier MLP | Params (paper) | GMACs / clip (ours) | GFLOPs (paper) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
foreach (var (variant, paperParams, paperFlops) in new[] { (MoViNetVariant.A0, "3.1 M", "2.7"), (MoViNetVariant.A1, "4.6 M", "6.0"), (MoViNetVariant.A2, "4.8 M", "10") })
{
    int size = MoViNetSpecs.ReferenceFrameSize(variant);
    foreach (var mode in new[] { MoViNetMode.Base, MoViNetMode.Stream })
    {
        using var network = (MoViNetNetwork)MoViNetBackbone.Instance.CreateNetwork(MoViNetSpecs.For(variant, mode, 600));
        double macs = MoViNetCost.MultiplyAccumulates(network.Spec, MoViNetSpecs.ReferenceFrames, size, size) / 1e9;
        long classifier = network.named_parameters().Where(p => p.name.StartsWith("classifier.", StringComparison.Ordinal)).Sum(p => p.parameter.numel());
        Console.WriteLine(string.Create(invariant,
            $"| {variant}-{mode} | {MoViNetSpecs.ReferenceFrames}×{size}² | {network.ParameterCount():N0} | {classifier:N0} | {(mode == MoViNetMode.Base ? paperParams : "–")} | {macs:F2} | {paperFlops} |"));
    }
}
return 0;

static long Status(string field)
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field, StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    return -1;
}

static long ChildRssKiB(int pid)
{
    try
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
    catch (IOException)
    {
    }
    return 0;
}

static string RuntimeInformationText() => System.Runtime.InteropServices.RuntimeInformation.OSDescription;

