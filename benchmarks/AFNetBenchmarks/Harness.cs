using System.Diagnostics;
using System.Globalization;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// <c>harness</c> mode (issue 19): why the forced-mask table (default mode) and the per-part run (<c>parts</c>) gave
/// different RT 0.5 / RT 1 wall-time ratios for AF-ResNet-50. Runs both harnesses' ways of timing side by side in one
/// process, in rotation, one thread: <c>forced</c> = one network, <see cref="AFNetRunOptions.ForcedMasks"/>, the input drawn
/// inside the timed call (as the default mode); <c>gated</c> = one network per ratio whose navigation selects the frames by
/// its bias (as <c>parts</c>), input drawn outside; <c>gated+profile</c> = the same with the per-part marks. Per forward it
/// records the wall time and the minor page faults (<c>/proc/self/stat</c>), so the cost of fresh memory shows.
/// Usage: <c>harness [--size 112] [--frames 12] [--rounds 5] [--ratios 1,0.5] [--tsm 1] [--ways forced,gated,gated+profile]</c>;
/// <c>--tsm 1</c> puts TSM-ResNet-50 (same frames) into the rotation, as the default mode does; the way <c>forced-before</c> is
/// <c>forced</c> with the focal blocks' sums as before <see cref="AFNetRunOptions.LeanFocalSums"/> (a copy of the input, an
/// index_add over the skipped rows).
/// </summary>
internal static class Harness
{
    public static int Run(string[] args)
    {
        int size = 112, frames = 12, rounds = 5, classes = 174;
        double[] ratios = [1.0, 0.5];
        bool tsm = false;
        string[] ways = ["forced", "gated", "gated+profile"];
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            string value = args[i + 1];
            switch (args[i])
            {
                case "--size": size = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--frames": frames = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--ratios": ratios = [.. value.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))]; break;
                case "--tsm": tsm = value != "0"; break;
                case "--ways": ways = value.Split(','); break;
                default: throw new ArgumentException($"Unknown argument {args[i]}.");
            }
        }
        torch.set_num_threads(1);
        var spec = AFNetSpecs.For(AFNetDepth.ResNet50, classes, frames);
        torch.manual_seed(1);
        using var shared = (AFNetNetwork)AFNetBackbone.Instance.CreateNetwork(spec);
        shared.eval();
        var gated = ratios.ToDictionary(r => r, r => Parts.GatedNetwork(spec, r));
        TsmNetwork? tsmNetwork = null;
        if (tsm)
        {
            tsmNetwork = (TsmNetwork)TsmBackbone.Instance.CreateNetwork(TsmSpecs.For(TsmDepth.ResNet50, classes));
            tsmNetwork.eval();
        }
        Console.WriteLine($"AF-ResNet-50, {frames} frames of {size}², batch 1, 1 thread, {rounds} rounds after a warm-up round; TSM-R50 in the rotation: {tsm}; " +
            $"MALLOC env: {string.Join(' ', Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("MALLOC", StringComparison.Ordinal) || k == "GLIBC_TUNABLES"))}; load before: {Load()}");

        var configs = new List<(string Name, double Ratio, Action Forward)>();
        var shape = new long[] { 1, frames, 3, size, size };
        foreach (string way in ways)
        {
            foreach (double r in ratios)
            {
                switch (way)
                {
                    case "forced":
                        var masks = shared.UniformMasks(1, r);
                        configs.Add((way, r, () => shared.Run(randn(shape), new AFNetRunOptions { ForcedMasks = masks })));
                        break;
                    case "forced-before":
                        // As "forced", with the focal blocks' sums as before (a copy of the input, an index_add over the skipped rows).
                        var beforeMasks = shared.UniformMasks(1, r);
                        configs.Add((way, r, () => shared.Run(randn(shape), new AFNetRunOptions { ForcedMasks = beforeMasks, LeanFocalSums = false })));
                        break;
                    case "gated":
                        var input = randn(shape);
                        configs.Add((way, r, () => gated[r].Run(input)));
                        break;
                    case "gated+profile":
                        var profiled = randn(shape);
                        var profile = new AFNetProfile();
                        configs.Add((way, r, () => gated[r].Run(profiled, new AFNetRunOptions { Profile = profile })));
                        break;
                    default: throw new ArgumentException($"Unknown way {way}.");
                }
            }
        }
        if (tsmNetwork is not null)
            configs.Add(("TSM-R50", double.NaN, () => tsmNetwork.call(randn(shape))));

        var times = configs.Select(_ => new List<double>()).ToArray();
        var faults = configs.Select(_ => new List<double>()).ToArray();
        for (int round = 0; round <= rounds; round++)
        {
            for (int c = 0; c < configs.Count; c++)
            {
                using var inference = inference_mode();
                using var scope = NewDisposeScope();
                long before = MinorFaults();
                var clock = Stopwatch.StartNew();
                configs[c].Forward();
                clock.Stop();
                long after = MinorFaults();
                if (round > 0)
                {
                    times[c].Add(clock.Elapsed.TotalMilliseconds);
                    faults[c].Add(after - before);
                }
            }
        }
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine();
        Console.WriteLine("| way | RT | ms min / median | vs RT 1 of the same way (min / median) | minor page faults per forward (median) | MiB faulted in |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        for (int c = 0; c < configs.Count; c++)
        {
            var (name, ratio, _) = configs[c];
            int reference = configs.FindIndex(k => k.Name == name && k.Ratio == 1.0);
            string vs = reference < 0 ? "–" : string.Create(CultureInfo.InvariantCulture,
                $"{times[c].Min() / times[reference].Min():F2} / {Median(times[c]) / Median(times[reference]):F2}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {(double.IsNaN(ratio) ? "–" : ratio.ToString("0.##", CultureInfo.InvariantCulture))} | {times[c].Min():F0} / {Median(times[c]):F0} | {vs} | {Median(faults[c]):F0} | {Median(faults[c]) * Environment.SystemPageSize / 1048576.0:F0} |"));
        }
        Console.WriteLine($"load after: {Load()}");
        foreach (var n in gated.Values) n.Dispose();
        tsmNetwork?.Dispose();
        return 0;
    }

    // Minor page faults of this process so far (field 10 of /proc/self/stat; 0 where there is no /proc).
    internal static long MinorFaults()
    {
        if (!File.Exists("/proc/self/stat"))
            return 0;
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], CultureInfo.InvariantCulture);
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
