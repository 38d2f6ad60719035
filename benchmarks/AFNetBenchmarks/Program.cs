using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

// Executed multiply-accumulates (MACs) and inference wall time per clip of AF-ResNet-50 with the focal branches computing
// RT ∈ {0.25, 0.5, 0.8} (and 1.0) of the frames, next to TSM-ResNet-50 with the same number of frames and with 8 frames, in
// one process. The AFNet rows use FORCED masks (AFNetNetwork.UniformMasks: round(RT·T) evenly spaced frames selected by
// every navigation module), with real skipping (gather, compute, scatter) in eval mode; MACs come from the network's
// executed-cost trace, TSM's from forward hooks on every Conv2d/Linear (same convention: conv/linear MACs only).
//
// Usage: dotnet run -c Release --project benchmarks/AFNetBenchmarks -- learn ... (see Learning.cs), or [--frames 12] [--size 112] [--mac-size 224]
//        [--repeats 5] [--threads 2] [--classes 174] [--profile 1] [--table 0]
// --profile 1 adds, after the table, where the time goes: wall time of every Conv2d grouped by role (ample, focal, fusion,
// shortcut, navigation, layer4 ...) with its MACs and throughput, for AF-R50 at RT 1 (also without gather/scatter) and 0.5
// and TSM-R50, same frames. Results and reading: BENCHMARKS.md, AFNet section.

if (args.Length > 0 && args[0] == "learn")
    return Learning.Run(args[1..]);
if (args.Length > 0 && args[0] == "learned")
    return LearnedCost.Run(args[1..]);
if (args.Length > 0 && args[0] == "parts")
    return Parts.Run(args[1..]);
if (args.Length > 0 && args[0] == "harness")
    return Harness.Run(args[1..]);

var a = Arguments.Parse(args);
torch.set_num_threads(a.Threads);
torch.manual_seed(1);
Console.WriteLine($"AF-ResNet-50 (alpha 2, patch groups 2, TSM shift) vs TSM-ResNet-50, {a.Classes} classes, batch 1 clip, {a.Threads} threads, " +
    $"{Environment.ProcessorCount} cores, TorchSharp-cpu 0.107; load before: {Load()}");
Console.WriteLine($"MACs counted at {a.MacSize}×{a.MacSize}; wall time (min and median of {a.Repeats} rounds after one warm-up round, configurations interleaved) at {a.Size}×{a.Size}.");
Console.WriteLine();

using var afnet = (AFNetNetwork)AFNetBackbone.Instance.CreateNetwork(AFNetSpecs.For(AFNetDepth.ResNet50, a.Classes, a.Frames));
afnet.eval();
using var tsmSame = (TsmNetwork)TsmBackbone.Instance.CreateNetwork(TsmSpecs.For(TsmDepth.ResNet50, a.Classes));
tsmSame.eval();

if (a.Table)
{
    double tsm8Macs = TsmMacs(tsmSame, 8, a.MacSize);
    double tsmSameMacs = TsmMacs(tsmSame, a.Frames, a.MacSize);
    double[] ratios = [1.0, 0.8, 0.5, 0.25];
    var masksByRatio = ratios.Select(rt => afnet.UniformMasks(1, rt)).ToArray();
    var afMacs = new double[ratios.Length];
    for (int r = 0; r < ratios.Length; r++)
    {
        using (inference_mode())
        using (var scope = NewDisposeScope())
            afMacs[r] = afnet.Run(randn(new long[] { 1, a.Frames, 3, a.MacSize, a.MacSize }), new AFNetRunOptions { ForcedMasks = masksByRatio[r], Trace = true }).Trace!.MultiplyAccumulates[0];
    }

    // Wall time: the configurations run in rotation (one forward of each per round), so that load changes hit all of them alike.
    var forwards = new List<Func<Tensor>>
    {
        () => tsmSame.call(randn(new long[] { 1, 8, 3, a.Size, a.Size })),
        () => tsmSame.call(randn(new long[] { 1, a.Frames, 3, a.Size, a.Size })),
    };
    forwards.AddRange(masksByRatio.Select(masks => (Func<Tensor>)(() =>
        afnet.Run(randn(new long[] { 1, a.Frames, 3, a.Size, a.Size }), new AFNetRunOptions { ForcedMasks = masks }).Logits)));
    var times = Time(forwards, a.Repeats);
    var (tsm8Min, tsm8Median) = times[0];
    var (tsmSameMin, tsmSameMedian) = times[1];

    Console.WriteLine($"| model | frames | focal frames (RT) | GMACs/clip @{a.MacSize} | vs TSM same frames | vs TSM 8 frames | time/clip @{a.Size}, min / median (ms) | time vs TSM same frames (min) | paper GFLOPs (ratio) |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    Console.WriteLine(Row("TSM-R50", 8, "–", tsm8Macs, tsmSameMacs, tsm8Macs, times[0], tsmSameMin, "TSM 8 f: 32.7 (1.00)"));
    Console.WriteLine(Row("TSM-R50", a.Frames, "–", tsmSameMacs, tsmSameMacs, tsm8Macs, times[1], tsmSameMin, a.Frames == 8 ? "32.7 (1.00)" : "–"));
    for (int r = 0; r < ratios.Length; r++)
    {
        double rt = ratios[r];
        int keep = (int)masksByRatio[r][0].sum().item<float>();
        string paper = (rt, a.Frames) switch
        {
            (0.8, 12) => "AFNet-TSM RT 0.8, 12 f: 31.7 (0.97)",
            (0.5, 8) => "AFNet RT 0.5, 8 f: 19.5 (0.60 of TSN 8 f)",
            (0.25, 8) => "AFNet RT 0.25, 8 f: 18.3 (0.56 of TSN 8 f)",
            (0.5, 12) or (0.25, 12) => "nearest: AFNet-TSM RT 0.4, 12 f: 27.9 (0.85)",
            _ => "–",
        };
        Console.WriteLine(Row("AF-R50", a.Frames, $"{keep}/{a.Frames} ({rt:0.##})", afMacs[r], tsmSameMacs, tsm8Macs, times[r + 2], tsmSameMin, paper));
        foreach (var m in masksByRatio[r]) m.Dispose();
    }
}
if (a.Profile)
{
    Console.WriteLine();
    Console.WriteLine($"Where the time goes at {a.Size}×{a.Size}, {a.Frames} frames (sum of per-Conv2d wall times by role, mean of {a.Repeats} runs after one warm-up):");
    Console.WriteLine();
    Console.WriteLine("| model | role | convs | GMACs | ms | GMAC/s |");
    Console.WriteLine("|---|---|---:|---:|---:|---:|");
    foreach (double rt in new[] { 1.0, 0.5 })
    {
        var masks = afnet.UniformMasks(1, rt);
        Profile($"AF-R50 RT {rt:0.##}", afnet, () => afnet.Run(randn(new long[] { 1, a.Frames, 3, a.Size, a.Size }), new AFNetRunOptions { ForcedMasks = masks }).Logits, a.Repeats);
        if (rt == 1.0)
            Profile("AF-R50 RT 1, masked (no gather/scatter)", afnet, () => afnet.Run(randn(new long[] { 1, a.Frames, 3, a.Size, a.Size }), new AFNetRunOptions { ForcedMasks = masks, SkipFrames = false }).Logits, a.Repeats);
        foreach (var m in masks) m.Dispose();
    }
    Profile("TSM-R50", tsmSame, () => tsmSame.call(randn(new long[] { 1, a.Frames, 3, a.Size, a.Size })), a.Repeats);
}
Console.WriteLine();
Console.WriteLine($"Parameters: AF-R50 {afnet.ParameterCount() / 1e6:F2} M, TSM-R50 {tsmSame.ParameterCount() / 1e6:F2} M. Load after: {Load()}");
return 0;

static string Row(string model, int frames, string focal, double macs, double tsmSame, double tsm8, (double Min, double Median) ms, double tsmSameMs, string paper)
    => string.Create(CultureInfo.InvariantCulture,
        $"| {model} | {frames} | {focal} | {macs / 1e9:F2} | {macs / tsmSame:F2} | {macs / tsm8:F2} | {ms.Min:F0} / {ms.Median:F0} | {ms.Min / tsmSameMs:F2} | {paper} |");

// Times every Conv2d of the network with pre/post forward hooks and prints the sums per role (and the rest of the forward).
static void Profile(string model, nn.Module network, Func<Tensor> forward, int repeats)
{
    var sums = new Dictionary<string, (int Convs, double Macs, double Ms)>();
    var clock = new Stopwatch();
    var removers = new List<Action>();
    var counted = new HashSet<string>();
    bool record = false;
    foreach (var (name, module) in network.named_modules())
    {
        if (module is not Conv2d conv)
            continue;
        string role = Role(name, conv);
        double start = 0;
        var pre = conv.register_forward_pre_hook((m, input) => { start = clock.Elapsed.TotalMilliseconds; return input; });
        var post = conv.register_forward_hook((m, input, output) =>
        {
            if (record)
            {
                double macs = conv.weight!.numel() * output.shape[0] * output.shape[2] * output.shape[3];
                var (c, mac, ms) = sums.GetValueOrDefault(role);
                sums[role] = (c + (counted.Add(name) ? 1 : 0), mac + macs, ms + clock.Elapsed.TotalMilliseconds - start);
            }
            return output;
        });
        removers.Add(pre.remove);
        removers.Add(post.remove);
    }
    double total = 0;
    for (int i = 0; i <= repeats; i++)
    {
        record = i > 0;
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        clock.Restart();
        forward();
        if (record) total += clock.Elapsed.TotalMilliseconds;
    }
    foreach (var remove in removers) remove();
    double convMs = 0;
    foreach (var (role, (convs, macs, ms)) in sums.OrderBy(kv => kv.Key, StringComparer.Ordinal))
    {
        convMs += ms;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {model} | {role} | {convs} | {macs / repeats / 1e9:F2} | {ms / repeats:F0} | {macs / 1e9 / (ms / 1000):F1} |"));
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {model} | everything else (BN, ReLU, shift, pooling, gathers, fusion, fc) | | | {(total - convMs) / repeats:F0} | |"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {model} | **total** | | | {total / repeats:F0} | |"));
}

static string Role(string name, Conv2d conv)
{
    string kind = conv.weight!.shape[2] > 1 ? "k×k" : "1×1";
    string groups = name.Contains(".refine_module.", StringComparison.Ordinal) && !name.Contains("downsample", StringComparison.Ordinal) ? " (grouped)" : "";
    string part = name switch
    {
        "conv1" => "stem",
        _ when name.Contains("downsample", StringComparison.Ordinal) => "shortcut projections",
        _ when name.Contains(".list_gen.", StringComparison.Ordinal) => "navigation",
        _ when name.Contains(".base_module.", StringComparison.Ordinal) || name.Contains(".base_transform.", StringComparison.Ordinal) => "ample",
        _ when name.Contains(".refine_module.", StringComparison.Ordinal) => "focal",
        _ when name.Contains(".fusion.", StringComparison.Ordinal) => "fusion block",
        _ => name.Split('.')[0],
    };
    return part is "stem" or "navigation" or "shortcut projections" ? part : $"{part} {kind}{groups}";
}

static double TsmMacs(TsmNetwork network, int frames, int size)
{
    long macs = 0;
    var removers = new List<Action>();
    foreach (var (_, module) in network.named_modules())
    {
        if (module is Conv2d conv)
        {
            var hook = conv.register_forward_hook((m, input, output) => { macs += conv.weight!.numel() * output.shape[0] * output.shape[2] * output.shape[3]; return output; });
            removers.Add(hook.remove);
        }
        else if (module is Linear linear)
        {
            var hook = linear.register_forward_hook((m, input, output) => { macs += linear.weight!.numel() * output.shape[0]; return output; });
            removers.Add(hook.remove);
        }
    }
    using (inference_mode())
    using (var scope = NewDisposeScope())
        network.call(randn(new long[] { 1, frames, 3, size, size }));
    foreach (var remove in removers) remove();
    return macs;
}

// Runs every forward once per round (after one warm-up round), returns min and median wall time of each in ms.
static List<(double Min, double Median)> Time(IReadOnlyList<Func<Tensor>> forwards, int repeats)
{
    var times = forwards.Select(_ => new List<double>()).ToList();
    for (int round = 0; round <= repeats; round++)
    {
        for (int f = 0; f < forwards.Count; f++)
        {
            using var inference = inference_mode();
            using var scope = NewDisposeScope();
            var clock = Stopwatch.StartNew();
            forwards[f]();
            clock.Stop();
            if (round > 0) times[f].Add(clock.Elapsed.TotalMilliseconds);
        }
    }
    return [.. times.Select(t => { t.Sort(); return (t[0], t[t.Count / 2]); })];
}

static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

internal sealed record Arguments(int Frames, int Size, int MacSize, int Repeats, int Threads, int Classes, bool Profile = false, bool Table = true)
{
    public static Arguments Parse(string[] args)
    {
        var a = new Arguments(12, 112, 224, 5, 2, 174);
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            int v = int.Parse(args[i + 1], CultureInfo.InvariantCulture);
            a = args[i] switch
            {
                "--frames" => a with { Frames = v },
                "--size" => a with { Size = v },
                "--mac-size" => a with { MacSize = v },
                "--repeats" => a with { Repeats = v },
                "--threads" => a with { Threads = v },
                "--classes" => a with { Classes = v },
                "--profile" => a with { Profile = v != 0 },
                "--table" => a with { Table = v != 0 },
                _ => throw new ArgumentException($"Unknown argument {args[i]}."),
            };
        }
        return a;
    }
}
