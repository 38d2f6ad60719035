using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.MoViNet;
using TorchSharp;
using static TorchSharp.torch;

// Usage:
//   dotnet run -c Release --project benchmarks/MoViNetBenchmarks -- [costs] [size=112] [frames=16,64,256,1024]
// ("costs" prints only the parameter / MAC table.)
// Every configuration runs in a fresh child process (this program with "child <mode> <frames> <size>") so that its peak
// resident set (VmHWM) is its own.
var invariant = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "child")
{
    string mode = args[1];
    int frames = int.Parse(args[2], invariant), size = int.Parse(args[3], invariant);
    torch.set_num_threads(Math.Max(1, Environment.ProcessorCount));
    manual_seed(1);
    var spec = MoViNetSpecs.For(MoViNetVariant.A0, mode == "stream" ? MoViNetMode.Stream : MoViNetMode.Base, 600);
    using var network = new MoViNetNetwork(spec);
    network.eval();
    long baseline = PeakRssKiB();
    var watch = Stopwatch.StartNew();
    using (inference_mode())
    {
        if (mode == "stream")
        {
            using var stream = network.CreateStream();
            for (int t = 0; t < frames; t++)
            {
                using var scope = NewDisposeScope();
                stream.Push(rand([1, 3, 1, size, size]));
            }
        }
        else
        {
            using var scope = NewDisposeScope();
            network.call(rand([1, 3, frames, size, size]));
        }
    }
    watch.Stop();
    Console.WriteLine(string.Create(invariant, $"{mode} {frames} {size} {PeakRssKiB()} {baseline} {watch.Elapsed.TotalMilliseconds / frames:F2}"));
    return 0;
}

bool costsOnly = args.Length > 0 && args[0] == "costs";
if (costsOnly) args = args[1..];
int sizeArg = args.Length > 0 ? int.Parse(args[0], invariant) : 112;
int[] lengths = args.Length > 1 ? args[1].Split(',').Select(s => int.Parse(s, invariant)).ToArray() : [16, 64, 256, 1024];
Console.WriteLine($"MoViNet-A0 (600 classes), {sizeArg}×{sizeArg}, CPU threads {Environment.ProcessorCount}, {RuntimeInformationText()}");
Console.WriteLine();
Console.WriteLine("| Mode | Frames | Peak RSS (MiB) | Peak RSS after model built (MiB) | ms / frame |");
Console.WriteLine("|---|---:|---:|---:|---:|");
foreach (var mode in costsOnly ? [] : new[] { "stream", "base" })
{
    foreach (int frames in lengths)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, ["child", mode, frames.ToString(invariant), sizeArg.ToString(invariant)])
        { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
            start.ArgumentList.Insert(0, typeof(MoViNetNetwork).Assembly.Location.Replace("MLNetVideo.Trainers.dll", "MoViNetBenchmarks.dll", StringComparison.Ordinal));
        using var child = Process.Start(start)!;
        string line = child.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        child.WaitForExit();
        var f = line.Split(' ');
        if (child.ExitCode != 0 || f.Length != 6)
        {
            Console.WriteLine($"| {mode} | {frames} | failed (exit {child.ExitCode}) | | |");
            continue;
        }
        Console.WriteLine(string.Create(invariant,
            $"| {(mode == "stream" ? "stream (1 frame per push)" : "base (whole clip)")} | {frames} | {long.Parse(f[3], invariant) / 1024.0:F0} | {long.Parse(f[4], invariant) / 1024.0:F0} | {f[5]} |"));
    }
}

Console.WriteLine();
Console.WriteLine("| Model | Input | Params (ours) | Params (paper) | GMACs / clip (ours) | GFLOPs (paper) |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var (variant, paperParams, paperFlops) in new[] { (MoViNetVariant.A0, "3.1 M", "2.7"), (MoViNetVariant.A1, "4.6 M", "6.0"), (MoViNetVariant.A2, "4.8 M", "10") })
{
    int size = MoViNetSpecs.ReferenceFrameSize(variant);
    foreach (var mode in new[] { MoViNetMode.Base, MoViNetMode.Stream })
    {
        using var network = new MoViNetNetwork(MoViNetSpecs.For(variant, mode, 600));
        double macs = Macs(network.Spec, MoViNetSpecs.ReferenceFrames, size) / 1e9;
        Console.WriteLine(string.Create(invariant,
            $"| {variant}-{mode} | {MoViNetSpecs.ReferenceFrames}×{size}² | {network.ParameterCount():N0} | {(mode == MoViNetMode.Base ? paperParams : "–")} | {macs:F2} | {paperFlops} |"));
    }
}
return 0;

static long PeakRssKiB()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    return -1;
}

static string RuntimeInformationText() => System.Runtime.InteropServices.RuntimeInformation.OSDescription;

// Multiply-accumulates of one clip: every conv counts output elements × (input channels / groups) × kernel volume; the
// SE and classifier are counted once per clip (base) — per frame for the stream SE, whose gate is per frame.
static double Macs(MoViNetSpec spec, int frames, int size)
{
    double total = 0;
    long h = (size + 1) / 2, w = (size + 1) / 2;
    total += (double)frames * h * w * spec.Stem.OutChannels * 3 * 9;
    bool stream = spec.Mode == MoViNetMode.Stream;
    foreach (var b in spec.Blocks)
    {
        total += (double)frames * h * w * b.ExpandChannels * b.InChannels;            // expand (before the stride)
        long ho = (h + b.Stride.H - 1) / b.Stride.H, wo = (w + b.Stride.W - 1) / b.Stride.W;
        total += (double)frames * ho * wo * b.ExpandChannels * (stream ? (b.Kernel.H * b.Kernel.W) + (b.Kernel.T > 1 ? b.Kernel.T : 0) : b.Kernel.T * b.Kernel.H * b.Kernel.W);
        int hidden = b.SeHidden(spec.Mode), seIn = stream ? 2 * b.ExpandChannels : b.ExpandChannels;
        total += (stream ? frames : 1) * (((double)seIn * hidden) + ((double)hidden * b.ExpandChannels));
        total += (double)frames * ho * wo * b.OutChannels * b.ExpandChannels;           // project
        if (b.ProjectedSkip) total += (double)frames * ho * wo * b.OutChannels * b.InChannels;
        h = ho; w = wo;
    }
    total += (double)frames * h * w * spec.Head.ProjectChannels * spec.Blocks[^1].OutChannels;
    total += ((double)spec.Head.ProjectChannels * spec.Head.HiddenChannels) + ((double)spec.Head.HiddenChannels * spec.NumClasses);
    return total;
}
