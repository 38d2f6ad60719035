using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Trainers.S3D;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// Issue 22, item 1: torch threads (1 / 2) × OpenMP wait policy (libgomp's default spin-then-sleep — what libtorch does
/// when OMP_WAIT_POLICY is unset — vs PASSIVE) × machine load (as found / one extra process burning a core), for S3D inference, an S3D training step and
/// the CLIP ViT-B/16 image tower. Every cell is a fresh child process (OpenMP reads the policy once, when libtorch loads);
/// the cells of one repetition run back to back and repetitions alternate the order, so all cells see the same machine.
///
///   EvlBenchmarks threads [--repeats 2] [--frames 8] [--size 80]
/// </summary>
internal static class ThreadPolicy
{
    private static readonly string[] Workloads = ["s3d-infer", "s3d-train", "clip"];

    public static async Task<int> RunAsync(string[] args)
    {
        int repeats = Value(args, "--repeats", 2), frames = Value(args, "--frames", 8), size = Value(args, "--size", 80);
        var cells = (from load in new[] { "as-found", "one-core-busy" }
                     from policy in new[] { "default", "PASSIVE" }
                     from threads in new[] { 1, 2 }
                     select (load, policy, threads)).ToArray();
        var seconds = new Dictionary<(string, string, int, string), List<double>>();
        Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}; {Environment.ProcessorCount} cores; S3D {frames}×{size}², batch 1; CLIP ViT-B/16, 1 frame 224²");
        for (int r = 0; r < repeats; r++)
        {
            foreach (var (load, policy, threads) in r % 2 == 0 ? cells : cells.Reverse())
            {
                Process? burner = load == "one-core-busy" ? Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "while :; do :; done"])) : null;
                try
                {
                    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
                    foreach (var a in new[] { "threads-cell", threads.ToString(CultureInfo.InvariantCulture), frames.ToString(CultureInfo.InvariantCulture), size.ToString(CultureInfo.InvariantCulture) })
                        psi.ArgumentList.Add(a);
                    foreach (var name in new[] { "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS", "MLNETVIDEO_THREADS" })
                        psi.Environment.Remove(name);
                    psi.Environment["OMP_WAIT_POLICY"] = "PASSIVE";
                    // libgomp with the policy unset spins 300,000 rounds (~3 ms) before sleeping; PASSIVE with this spin count is
                    // the same setting (GCC's libgomp env.c). MLNetVideo's module initializers, which run as soon as an MLNetVideo
                    // assembly loads, would put PASSIVE into an unset variable, so the default is reproduced this way.
                    if (policy == "default")
                        psi.Environment["GOMP_SPINCOUNT"] = "300000";
                    using var child = Process.Start(psi)!;
                    var stderr = child.StandardError.ReadToEndAsync();
                    while (await child.StandardOutput.ReadLineAsync() is { } line)
                    {
                        var parts = line.Split(' ');
                        if (parts.Length == 3 && parts[0] == "RESULT")
                        {
                            var key = (load, policy, threads, parts[1]);
                            if (!seconds.TryGetValue(key, out var list)) seconds[key] = list = [];
                            list.Add(double.Parse(parts[2], CultureInfo.InvariantCulture));
                        }
                        else
                            Console.WriteLine($"  [{load} {policy} {threads}t] {line}");
                    }
                    await child.WaitForExitAsync();
                    if (child.ExitCode != 0)
                        Console.WriteLine($"  [{load} {policy} {threads}t] failed: {(await stderr).Trim()}");
                }
                finally
                {
                    burner?.Kill();
                    burner?.Dispose();
                }
            }
        }
        Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine();
        Console.WriteLine("Seconds per call (median of repetitions), and the ratio to 1 thread with the PASSIVE policy on the same load:");
        Console.WriteLine();
        Console.WriteLine("| load | policy | threads | " + string.Join(" | ", Workloads.Select(w => $"{w} s (÷ 1t passive)")) + " |");
        Console.WriteLine("|---|---|---:|" + string.Concat(Workloads.Select(_ => "---:|")));
        double Median(string load, string policy, int threads, string workload) =>
            seconds.TryGetValue((load, policy, threads, workload), out var l) && l.Count > 0 ? l.Order().ElementAt(l.Count / 2) : double.NaN;
        foreach (var (load, policy, threads) in cells)
            Console.WriteLine($"| {load} | {policy} | {threads} | " + string.Join(" | ", Workloads.Select(w =>
            {
                double s = Median(load, policy, threads, w), baseline = Median(load, "PASSIVE", 1, w);
                return FormattableString.Invariant($"{s:F3} ({s / baseline:F2}×)");
            })) + " |");
        return 0;
    }

    /// <summary>The child: one cell, with the policy its parent put in the environment.</summary>
    public static int Cell(string[] args)
    {
        int threads = int.Parse(args[0], CultureInfo.InvariantCulture);
        torch.set_num_threads(threads);
        torch.manual_seed(1);
        Measure(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
        return 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Measure(int frames, int size)
    {
        using (var s3d = new S3DNetwork(S3DSpecs.For(S3DVariant.S3D, numClasses: 400)))
        {
            using var clip = randn([1, 3, frames, size, size]);
            using var label = tensor(new long[] { 3 });
            s3d.eval();
            Time("s3d-infer", 2, () => { using var _ = no_grad(); using var scope = NewDisposeScope(); s3d.forward(clip); });
            s3d.train();
            using var optimizer = optim.SGD(s3d.parameters(), 1e-4, momentum: 0.9);
            Time("s3d-train", 1, () =>
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.cross_entropy(s3d.forward(clip), label).backward();
                optimizer.step();
            });
        }
        using var vit = new ClipVisionNetwork(ClipVisionSpecs.VitB16);
        vit.eval();
        using var image = randn(1, 3, 224, 224);
        Time("clip", 2, () => { using var _ = no_grad(); using var scope = NewDisposeScope(); vit.forward(image); });
    }

    private static void Time(string workload, int repeats, Action call)
    {
        call(); // warm-up
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            var watch = Stopwatch.StartNew();
            call();
            times.Add(watch.Elapsed.TotalSeconds);
        }
        Console.WriteLine(FormattableString.Invariant($"RESULT {workload} {times.Order().ElementAt(times.Count / 2):F4}"));
    }

    private static int Value(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
