using System.Globalization;
using MLNetVideo.Trainers.AFNet;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

/// <summary>
/// <c>parts</c> mode (issue 19, part 3): where the inference time of an AF-ResNet goes, by part of the network (stem,
/// navigation, ample blocks, focal shortcut / gather / branch / scatter, fusion, layer4, head), at several forced ratios, and
/// how the multiply-accumulates split between the focal branches and everything else. The ratios run in rotation (one
/// forward of each per round, one thread), so load changes hit them alike; the figures are means per clip over the rounds
/// after one warm-up round. RT 0 (every focal block skipped) is the floor that no learned ratio can go below.
/// Usage: <c>parts [--net tiny|r50] [--frames T] [--size S] [--batch N] [--rounds R] [--ratios 1,0.5,0.25,0]
/// [--width W]</c>; tiny = AF-ResNet-18 ×0.25 (the learned-mask benchmark's network), r50 = full-width AF-ResNet-50.
/// </summary>
internal static class Parts
{
    public static int Run(string[] args)
    {
        string net = "tiny";
        int frames = 8, size = 32, batch = 1, rounds = 5, classes = 4;
        double width = 0.25;
        double[] ratios = [1.0, 0.5, 0.25, 0.0];
        for (int i = 0; i < args.Length; i++)
        {
            string value = args[++i];
            switch (args[i - 1])
            {
                case "--net": net = value; break;
                case "--frames": frames = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--size": size = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--batch": batch = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--width": width = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--classes": classes = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--ratios": ratios = [.. value.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))]; break;
                default: throw new ArgumentException($"Unknown argument {args[i - 1]}.");
            }
        }
        torch.set_num_threads(1);
        torch.manual_seed(1);
        var spec = net switch
        {
            "tiny" => AFNetSpecs.For(AFNetDepth.ResNet18, classes, frames, width),
            "r50" => AFNetSpecs.For(AFNetDepth.ResNet50, classes, frames),
            _ => throw new ArgumentException($"--net must be tiny or r50; got {net}."),
        };
        // One network per ratio, the same weights (same seed), whose navigation modules run as usual but decide by their bias
        // alone: conv_gs weights 0, bias (skip 0, keep 1) on round(RT·T) evenly spaced frames and (1, 0) on the others.
        var networks = ratios.Select(r => GatedNetwork(spec, r)).ToArray();
        string name = net == "tiny" ? $"AF-ResNet-18 ×{width:0.##}" : "AF-ResNet-50";
        Console.WriteLine($"{name}, {frames} frames of {size}², batch {batch}, 1 thread, navigation selecting evenly spaced frames, {rounds} rounds after a warm-up round; load before: {Load()}");

        // MACs: the executed-cost trace at each ratio, and the split by role at RT 1 (every conv/linear counted over all frames).
        var macs = new double[ratios.Length];
        using (inference_mode())
        {
            for (int r = 0; r < ratios.Length; r++)
            {
                using var scope = NewDisposeScope();
                var output = networks[r].Run(randn(new long[] { batch, frames, 3, size, size }), new AFNetRunOptions { Trace = true });
                macs[r] = output.Trace!.MultiplyAccumulates[0];
                double selected = output.SelectedFrameRatio.mean().item<float>();
                if (Math.Abs(selected - Math.Round(ratios[r] * frames, MidpointRounding.AwayFromZero) / frames) > 1e-6)
                    throw new InvalidOperationException($"RT {ratios[r]}: the navigation selected {selected}.");
            }
        }
        var split = MacSplit(networks[0], spec, size);
        double all = split.Values.Sum();
        Console.WriteLine();
        Console.WriteLine("MACs per clip at RT 1 by role (conv/linear, all frames):");
        Console.WriteLine();
        Console.WriteLine("| role | MMACs | share |");
        Console.WriteLine("|---|---:|---:|");
        foreach (var (role, m) in split.OrderByDescending(kv => kv.Value))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {role} | {m / 1e6:F2} | {m / all:P1} |"));

        // Time by part, the ratios in rotation.
        var profiles = ratios.Select(_ => new AFNetProfile()).ToArray();
        var totals = new double[ratios.Length];
        var faults = new double[ratios.Length];
        var warmup = ratios.Select(_ => new AFNetProfile()).ToArray();
        for (int round = 0; round <= rounds; round++)
        {
            for (int r = 0; r < ratios.Length; r++)
            {
                using var inference = inference_mode();
                using var scope = NewDisposeScope();
                var x = randn(new long[] { batch, frames, 3, size, size });
                long faultsBefore = Harness.MinorFaults();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                networks[r].Run(x, new AFNetRunOptions { Profile = round == 0 ? warmup[r] : profiles[r] });
                if (round > 0)
                {
                    totals[r] += clock.Elapsed.TotalMilliseconds;
                    faults[r] += Harness.MinorFaults() - faultsBefore;
                }
            }
        }
        var parts = profiles[0].Parts.Select(p => p.Part).Union(profiles.SelectMany(p => p.Parts.Select(q => q.Part))).ToList();
        double PerClip(double ms) => ms / rounds / batch;
        Console.WriteLine();
        Console.WriteLine("Wall time per clip by part (ms):");
        Console.WriteLine();
        Console.WriteLine("| part | " + string.Join(" | ", ratios.Select(r => $"RT {r:0.##}")) + " |");
        Console.WriteLine("|---|" + string.Concat(ratios.Select(_ => "---:|")));
        foreach (string part in parts)
        {
            Console.WriteLine($"| {part} | " + string.Join(" | ", profiles.Select(p =>
                PerClip(p.Parts.Where(q => q.Part == part).Sum(q => q.Milliseconds)).ToString("F3", CultureInfo.InvariantCulture))) + " |");
        }
        Console.WriteLine("| **total (forward)** | " + string.Join(" | ", totals.Select(t => PerClip(t).ToString("F3", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine("| time vs RT 1 | " + string.Join(" | ", totals.Select(t => (t / totals[0]).ToString("F2", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine("| executed MACs vs RT 1 | " + string.Join(" | ", macs.Select(m => (m / macs[0]).ToString("F2", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| executed MMACs per clip | ") + string.Join(" | ", macs.Select(m => (m / 1e6).ToString("F1", CultureInfo.InvariantCulture))) + " |");
        // Fresh memory the forward touched (glibc returns large freed blocks to the kernel, so each forward may fault them in
        // again, at ~1–10 µs a page: how much depends on what ran before; see the harness mode and BENCHMARKS.md).
        Console.WriteLine("| MiB faulted in per forward (minor page faults) | " + string.Join(" | ", faults.Select(f => (f / rounds * Environment.SystemPageSize / 1048576.0).ToString("F0", CultureInfo.InvariantCulture))) + " |");
        Console.WriteLine($"load after: {Load()}");
        foreach (var n in networks) n.Dispose();
        return 0;
    }

    internal static AFNetNetwork GatedNetwork(AFNetSpec spec, double ratio)
    {
        torch.manual_seed(1);
        var network = (AFNetNetwork)AFNetBackbone.Instance.CreateNetwork(spec);
        network.eval();
        int keep = (int)Math.Round(ratio * spec.Frames, MidpointRounding.AwayFromZero);
        var kept = keep == 0 ? new HashSet<long>() : MLNetVideo.Trainers.Tsm.TsmSpec.UniformIndices(spec.Frames, keep).ToHashSet();
        using var noGrad = no_grad();
        foreach (var (key, parameter) in network.named_parameters().Where(p => p.name.Contains(".conv_gs.", StringComparison.Ordinal)))
        {
            if (key.EndsWith("weight", StringComparison.Ordinal))
                parameter.zero_();
            else
            {
                var bias = new float[2 * spec.Frames];
                for (int t = 0; t < spec.Frames; t++)
                    bias[(2 * t) + (kept.Contains(t) ? 1 : 0)] = 1f;
                parameter.copy_(tensor(bias));
            }
        }
        return network;
    }

    // MACs per clip of every Conv2d / Linear at RT 1 (masked path: every frame through every layer), grouped by role.
    private static Dictionary<string, double> MacSplit(AFNetNetwork network, AFNetSpec spec, int size)
    {
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        var removers = new List<Action>();
        foreach (var (name, module) in network.named_modules())
        {
            string role = name switch
            {
                "conv1" => "stem",
                "fc" => "head (fc)",
                _ when name.Contains(".list_gen.", StringComparison.Ordinal) => "navigation",
                _ when name.Contains(".refine_module.", StringComparison.Ordinal) && name.Contains("downsample", StringComparison.Ordinal) => "focal shortcut projections (all frames)",
                _ when name.Contains(".refine_module.", StringComparison.Ordinal) => "focal branches (skippable)",
                _ when name.Contains(".base_module.", StringComparison.Ordinal) || name.Contains(".base_transform.", StringComparison.Ordinal) => "ample branch",
                _ when name.Contains(".att_gen.", StringComparison.Ordinal) || name.Contains(".fusion.", StringComparison.Ordinal) => "fusion (attention + block)",
                _ when name.StartsWith("layer4", StringComparison.Ordinal) => "layer4",
                _ => "other",
            };
            if (module is Conv2d conv)
                removers.Add(conv.register_forward_hook((m, input, output) => { Add(role, conv.weight!.numel() * (double)output.shape[0] * output.shape[2] * output.shape[3]); return output; }).remove);
            else if (module is Linear linear)
                removers.Add(linear.register_forward_hook((m, input, output) => { Add(role, linear.weight!.numel() * (double)output.shape[0]); return output; }).remove);
        }
        void Add(string role, double m) => sums[role] = sums.GetValueOrDefault(role) + m;
        using (inference_mode())
        using (var scope = NewDisposeScope())
            network.Run(randn(new long[] { 1, spec.Frames, 3, size, size }), new AFNetRunOptions { SkipFrames = false });
        foreach (var remove in removers) remove();
        return sums;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
