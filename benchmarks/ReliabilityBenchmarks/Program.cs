using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Tests.Reliability;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers.Blocks;
using MLNetVideo.Trainers.S3D;
using TorchSharp.Modules;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;
using TorchSharp;
using static TorchSharp.torch;

// Usage:
//   dotnet run -c Release --project benchmarks/ReliabilityBenchmarks -- fuzz [--n 500] [--seed 20261124] [--work out/reliability]
//   dotnet run -c Release --project benchmarks/ReliabilityBenchmarks -- soak [--predictions 10000] [--work out/reliability]
//   dotnet run -c Release --project benchmarks/ReliabilityBenchmarks -- zipfuzz [--n 0 (all)] [--seed 20261124] [--work out/reliability]
//   dotnet run -c Release --project benchmarks/ReliabilityBenchmarks -- bnstress [--seconds 120] [--rounds 30]
//   dotnet run -c Release --project benchmarks/ReliabilityBenchmarks -- updatestress [--seconds 60]
var invariant = CultureInfo.InvariantCulture;
string command = args.Length > 0 ? args[0] : "";
string Option(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
string work = Path.GetFullPath(Option("--work", "out/reliability"));
Directory.CreateDirectory(work);
Console.WriteLine($"# {command} on {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}, {DateTime.UtcNow:u}");

switch (command)
{
    case "fuzz":
        return Fuzz(int.Parse(Option("--n", "500"), invariant), int.Parse(Option("--seed", "20261124"), invariant));
    case "soak":
        return Soak(int.Parse(Option("--predictions", "10000"), invariant));
    case "zipfuzz":
        return ZipFuzz(int.Parse(Option("--n", "0"), invariant), int.Parse(Option("--seed", "20261124"), invariant));
    case "updatestress":
        return UpdateStress(double.Parse(Option("--seconds", "60"), invariant));
    case "bnstress":
        return BatchNormStress(double.Parse(Option("--seconds", "120"), invariant), int.Parse(Option("--rounds", "30"), invariant));
    default:
        Console.Error.WriteLine("usage: ReliabilityBenchmarks fuzz|soak|zipfuzz|bnstress|updatestress [--n N] [--predictions N] [--seed S] [--seconds S] [--rounds N] [--work DIR]");
        return 2;
}

int Fuzz(int count, int seed)
{
    string folder = Path.Combine(work, $"fuzz-{seed}-{count}");
    if (Directory.Exists(folder))
        Directory.Delete(folder, recursive: true);
    string seeds = Path.Combine(folder, "seeds");
    Directory.CreateDirectory(seeds);
    var sources = new[] { SyntheticVideoFormat.Mp4H264, SyntheticVideoFormat.WebmVp9, SyntheticVideoFormat.AviMjpeg, SyntheticVideoFormat.MkvH264 }
        .Select(format =>
        {
            string path = Path.Combine(seeds, "seed-" + format + SyntheticActionVideos.Extension(format));
            var frames = Enumerable.Range(0, 8).Select(i => Enumerable.Repeat((byte)(i * 30), 32 * 32 * 3).ToArray()).ToList();
            SyntheticActionVideos.Encode(path, frames, 32, 32, 25, format);
            return path;
        }).ToList();
    var cases = VideoFuzzCorpus.Generate(folder, sources, count, seed);
    string temp = Path.Combine(work, "tmpdir-" + Guid.NewGuid().ToString("N")[..8]);
    Directory.CreateDirectory(temp);
    Environment.SetEnvironmentVariable("TMPDIR", temp);
    var before = Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order().ToArray();
    var timeout = TimeSpan.FromSeconds(30);
    VideoFrameLoadingEstimator.Options Options(DecodeErrorPolicy policy) => new()
    {
        InputColumnName = "VideoPath", FramesPerClip = 4, FrameInterval = 1, FrameSize = 16, Resize = ResizeMode.Stretch,
        VideoFolder = folder, OnDecodeError = policy, DecodeTimeout = timeout,
    };
    IDataView Paths(MLContext ml, IEnumerable<string> paths) => ml.Data.LoadFromEnumerable(paths.Select(p => new PathRow { VideoPath = p }));
    List<float[]> Read(IDataView data)
    {
        var result = new List<float[]>();
        var column = data.Schema["Frames"];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }
        return result;
    }

    var total = Stopwatch.StartNew();
    var ml = new MLContext(1);
    var throwing = ml.Transforms.LoadVideoFrames(Options(DecodeErrorPolicy.Throw)).Fit(Paths(ml, ["x"]));
    var outcomes = new List<(float[]? Clip, VideoDecodingFailure? Failure, TimeSpan Elapsed)>();
    int problems = 0;
    foreach (var c in cases)
    {
        if (outcomes.Count % 25 == 0)
        {
            // A running tally, so a run stopped early still reports what it saw.
            string tally = string.Join(", ", outcomes.Where(o => o.Failure is not null).GroupBy(o => o.Failure!.Value).Select(g => $"{g.Key} {g.Count()}"));
            Console.WriteLine($"  throw policy: {outcomes.Count}/{count} files, {total.Elapsed.TotalSeconds:0} s; refused {outcomes.Count(o => o.Clip is null)} ({tally}); " +
                $"problems {problems}; slowest {(outcomes.Count > 0 ? outcomes.Max(o => o.Elapsed).TotalSeconds : 0):0.0} s; " +
                $"decoder children now {ChildDecoders()}; temp files {Directory.GetFileSystemEntries(temp).Length}");
        }
        var watch = Stopwatch.StartNew();
        try
        {
            outcomes.Add((Read(throwing.Transform(Paths(ml, [c.Name]))).Single(), null, watch.Elapsed));
        }
        catch (VideoDecodingException e)
        {
            outcomes.Add((null, e.Failure, watch.Elapsed));
            if (!e.Message.Contains(c.Name, StringComparison.Ordinal))
            {
                problems++;
                Console.WriteLine($"PROBLEM: error does not name '{c.Name}' ({c.Mutation}): {e.Message}");
            }
        }
        catch (Exception e)
        {
            problems++;
            outcomes.Add((null, null, watch.Elapsed));
            Console.WriteLine($"PROBLEM: '{c.Name}' ({c.Mutation}) threw {e.GetType().Name}: {e.Message}");
        }
    }
    var throwTime = total.Elapsed;
    int failed = outcomes.Count(o => o.Clip is null);
    var names = cases.Select(c => c.Name).ToArray();

    var skipMl = new MLContext(1);
    var skip = skipMl.Transforms.LoadVideoFrames(Options(DecodeErrorPolicy.Skip)).Fit(Paths(skipMl, names));
    var skipWatch = Stopwatch.StartNew();
    var kept = Read(skip.Transform(Paths(skipMl, names)));
    var skipTime = skipWatch.Elapsed;
    var expectedKept = outcomes.Where(o => o.Clip is not null).Select(o => o.Clip!).ToList();
    bool skipAgrees = kept.Count == expectedKept.Count && skip.SkippedRowCount == failed
        && kept.Zip(expectedKept).All(p => p.First.AsSpan().SequenceEqual(p.Second));

    var fillMl = new MLContext(1);
    var fill = fillMl.Transforms.LoadVideoFrames(Options(DecodeErrorPolicy.Fill)).Fit(Paths(fillMl, names));
    var fillWatch = Stopwatch.StartNew();
    var filled = Read(fill.Transform(Paths(fillMl, names)));
    var fillTime = fillWatch.Elapsed;
    bool fillAgrees = filled.Count == count && fill.FilledRowCount == failed
        && filled.Select((clip, i) => outcomes[i].Clip is { } expected ? clip.AsSpan().SequenceEqual(expected) : clip.All(v => v == 0f)).All(ok => ok);

    int children = ChildDecoders();
    int tempFiles = Directory.GetFileSystemEntries(temp).Length;
    var after = Directory.GetFileSystemEntries(folder, "*", SearchOption.AllDirectories).Order().ToArray();
    bool folderUnchanged = before.SequenceEqual(after);
    Directory.Delete(temp, recursive: true);

    Console.WriteLine();
    Console.WriteLine($"| files | seed | loaded | refused (by kind) | other exceptions / errors not naming the file | slowest file (Throw) | Throw / Skip / Fill wall time | Skip agrees | Fill agrees | leftover decoders | temp files | files created |");
    Console.WriteLine($"|---|---|---|---|---|---|---|---|---|---|---|---|");
    string kinds = string.Join(", ", outcomes.Where(o => o.Failure is not null).GroupBy(o => o.Failure!.Value).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"));
    Console.WriteLine($"| {count} | {seed} | {count - failed} | {failed} ({kinds}) | {problems} | {outcomes.Max(o => o.Elapsed).TotalSeconds:0.00} s | " +
        $"{throwTime.TotalSeconds:0} / {skipTime.TotalSeconds:0} / {fillTime.TotalSeconds:0} s | {(skipAgrees ? "yes" : "NO")} | {(fillAgrees ? "yes" : "NO")} | {children} | {tempFiles} | {(folderUnchanged ? 0 : after.Length - before.Length)} |");
    Console.WriteLine("mutations: " + string.Join(", ", cases.GroupBy(c => c.Mutation.Split(' ')[1] switch { "bit" => "bit flips", "to" => "truncation", "bytes" => c.Mutation.Contains("inserted") ? "insertion" : c.Mutation.Contains("overwritten") ? "overwrite" : "random bytes", "splice:" => "header splice", _ => c.Mutation.Contains("random bytes") ? "random bytes" : "other" }).Select(g => $"{g.Key} {g.Count()}")));
    bool ok = problems == 0 && skipAgrees && fillAgrees && children == 0 && tempFiles == 0 && folderUnchanged;
    Console.WriteLine(ok ? "RESULT: pass" : "RESULT: FAIL");
    return ok ? 0 : 1;
}

int Soak(int predictions)
{
    var ml = new MLContext(1);
    var data = SyntheticClips.LoadKeyed(ml, SyntheticClips.Motion(8, 1));
    string zip = Path.Combine(work, "soak-s3d.zip");
    using (var trained = ml.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
    {
        Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
    }).Fit(data))
        ml.Model.SaveAtomically(trained, data.Schema, zip);

    var fresh = new MLContext(2);
    var model = fresh.Model.Load(zip, out _);
    var clips = SyntheticClips.Motion(16, 7).Select(r => r.Frames).ToArray();
    using var engine = fresh.Model.CreatePredictionEngine<ClipInput, ClipPrediction>(model, new PredictionEngineOptions { OwnsTransformer = false });
    var input = new ClipInput();
    for (int i = 0; i < 100; i++)
    {
        input.Frames = clips[i % clips.Length];
        engine.Predict(input);
    }
    Console.WriteLine("| predictions | live tensors (all threads) | thread live count | RSS MiB | managed heap MiB | ms / prediction (last block) |");
    Console.WriteLine("|---|---|---|---|---|---|");
    var (t0, r0, h0) = Measure();
    DisposeScopeManager.Statistics.Reset();
    Console.WriteLine($"| 0 (after 100 warm-up) | {t0} | 0 | {r0 / 1048576.0:0.0} | {h0 / 1048576.0:0.0} | |");
    int block = Math.Max(1, predictions / 10);
    var first = clips[0];
    var reference = engine.Predict(new ClipInput { Frames = first }).Score;
    var watch = Stopwatch.StartNew();
    long tensors = t0, rss = r0;
    for (int n = 1; n <= predictions; n++)
    {
        input.Frames = clips[n % clips.Length];
        engine.Predict(input);
        if (n % block == 0 || n == predictions)
        {
            double ms = watch.Elapsed.TotalMilliseconds / block;
            var (t, r, h) = Measure();
            (tensors, rss) = (t, r);
            Console.WriteLine($"| {n} | {t} | {DisposeScopeManager.Statistics.ThreadTotalLiveCount} | {r / 1048576.0:0.0} | {h / 1048576.0:0.0} | {ms:0.00} |");
            watch.Restart();
        }
    }
    var again = engine.Predict(new ClipInput { Frames = first }).Score;
    bool same = reference.AsSpan().SequenceEqual(again);
    (model as IDisposable)?.Dispose();
    Console.WriteLine($"peak RSS (VmHWM) {PeakRssKiB() / 1024.0:0.0} MiB; live tensors {t0} → {tensors}; RSS {r0 / 1048576.0:0.0} → {rss / 1048576.0:0.0} MiB; " +
        $"first clip scored identically after the soak: {(same ? "yes" : "NO")}");
    bool ok = tensors == t0 && same && rss - r0 < 64L << 20;
    Console.WriteLine(ok ? "RESULT: pass" : "RESULT: FAIL");
    return ok ? 0 : 1;
}

int ZipFuzz(int limit, int seed)
{
    var setup = Stopwatch.StartNew();
    using var fuzz = ModelZipMutationFuzz.Create(Path.Combine(work, $"zipfuzz-{Guid.NewGuid().ToString("N")[..8]}"));
    var all = fuzz.AllMutations().ToList();
    var ci = fuzz.OnePerValue();
    // Every change of every value, in a seeded order (a limited run samples all components evenly).
    var order = all.ToList();
    new Random(seed).Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(order));
    if (limit > 0)
        order = order.Take(limit).ToList();
    Console.WriteLine($"  {fuzz.Subjects.Count} components built in {setup.Elapsed.TotalSeconds:0} s; {all.Count} mutations in all ({ci.Count} in CI); running {order.Count}");
    var outcomes = new List<ZipMutationOutcome>();
    var total = Stopwatch.StartNew();
    foreach (var mutation in order)
    {
        var outcome = fuzz.Run(mutation, TimeSpan.FromSeconds(120));
        outcomes.Add(outcome);
        foreach (var violation in outcome.Violations)
            Console.WriteLine($"VIOLATION: {mutation}: {violation}");
        if (outcomes.Count % 250 == 0)
            Console.WriteLine($"  {outcomes.Count}/{order.Count} zips, {total.Elapsed.TotalSeconds:0} s, violations {outcomes.Count(o => o.Violations.Count > 0)}, peak RSS {PeakRssKiB() / 1024.0:0} MiB");
    }
    Console.WriteLine();
    Console.WriteLine("| component | mutated zips | refused at load | refused at first use | accepted (loaded, predicted) | violations | slowest |");
    Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
    foreach (var group in outcomes.GroupBy(o => o.Mutation.Subject.Component).OrderBy(g => fuzz.Subjects.ToList().FindIndex(s => s.Component == g.Key)))
        Console.WriteLine($"| {group.Key} | {group.Count()} | {group.Count(o => o.Result == ZipMutationResult.RefusedAtLoad)} | {group.Count(o => o.Result == ZipMutationResult.RefusedAtFirstUse)} | " +
            $"{group.Count(o => o.Result == ZipMutationResult.Accepted)} | {group.Count(o => o.Violations.Count > 0)} | {group.Max(o => o.Elapsed.TotalSeconds):0.00} s |");
    Console.WriteLine($"| all | {outcomes.Count} | {outcomes.Count(o => o.Result == ZipMutationResult.RefusedAtLoad)} | {outcomes.Count(o => o.Result == ZipMutationResult.RefusedAtFirstUse)} | " +
        $"{outcomes.Count(o => o.Result == ZipMutationResult.Accepted)} | {outcomes.Count(o => o.Violations.Count > 0)} | {outcomes.Max(o => o.Elapsed.TotalSeconds):0.00} s |");
    Console.WriteLine("refusals by exception: " + string.Join(", ", outcomes.Where(o => o.ExceptionType is not null).GroupBy(o => o.ExceptionType).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
    Console.WriteLine("mutations by kind: " + string.Join(", ", outcomes.GroupBy(o => o.Mutation.Kind).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}")));
    Console.WriteLine($"wall time {total.Elapsed.TotalSeconds:0} s ({total.Elapsed.TotalMilliseconds / Math.Max(1, outcomes.Count):0} ms per zip); peak RSS {PeakRssKiB() / 1024.0:0} MiB; decoder children now {ChildDecoders()}");
    bool ok = outcomes.All(o => o.Violations.Count == 0) && ChildDecoders() == 0;
    Console.WriteLine(ok ? "RESULT: pass" : "RESULT: FAIL");
    return ok ? 0 : 1;
}

// TorchSharp's BatchNorm3d against GcSafeBatchNorm: training forwards while a thread forces collections and finalizers
// (alternating 10 s slices, so both see the same load), then a tiny S3D-G training step (forward + backward) with each
// kind of batch norm, interleaved, as a cost ratio. Exit code 1 when GcSafeBatchNorm fails at all.
int BatchNormStress(double seconds, int rounds)
{
    torch.manual_seed(1);
    using var x = torch.randn([2, 2, 1, 1, 1]);
    using var reference = nn.BatchNorm3d(2, 1e-3, 0.1);
    using var safe = GcSafeBatchNorm.For3d(2, 1e-3, 0.1);
    reference.train();
    safe.train();
    var names = new[] { "TorchSharp BatchNorm3d", "GcSafeBatchNorm" };
    var forwards = new Func<Tensor, Tensor>[] { reference.call, safe.call };
    var calls = new long[2];
    var failures = new int[2];
    var first = new string?[2];
    var slice = TimeSpan.FromSeconds(Math.Min(10, seconds / 2));
    for (var clock = Stopwatch.StartNew(); clock.Elapsed.TotalSeconds < seconds;)
    {
        for (int i = 0; i < 2; i++)
        {
            var outcome = FinalizerPressure.Run(forwards[i], x, slice);
            calls[i] += outcome.Calls;
            failures[i] += outcome.Failures;
            first[i] ??= outcome.FirstError;
        }
    }
    for (int i = 0; i < 2; i++)
        Console.WriteLine($"{names[i]}: {failures[i]} failures in {calls[i]:N0} training forwards ({(failures[i] == 0 ? "none" : $"1 per {calls[i] / failures[i]:N0}")}){(first[i] is null ? "" : $"; first: {first[i]}")}");

    var input = torch.randn([2, 3, 8, 32, 32]);
    var spec = S3DSpecs.For(S3DVariant.S3DG, 5, 0.125);
    torch.manual_seed(2);
    using var safeNetwork = new S3DNetwork(spec);
    torch.manual_seed(2);
    using var referenceNetwork = new S3DNetwork(spec);
    int swapped = 0;
    foreach (var (_, module) in referenceNetwork.named_modules())
    {
        foreach (var field in module.GetType().GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic))
        {
            if (field.GetValue(module) is not GcSafeBatchNorm norm)
                continue;
            var replacement = nn.BatchNorm3d(norm.num_features, norm.eps, norm.momentum ?? 0.1);
            replacement.load_state_dict(norm.state_dict());
            field.SetValue(module, replacement);
            swapped++;
        }
    }
    var networks = new (string Name, nn.Module<Tensor, Tensor> Network)[] { ("TorchSharp BatchNorm3d", referenceNetwork), ("GcSafeBatchNorm", safeNetwork) };
    double Step(nn.Module<Tensor, Tensor> network)
    {
        var watch = Stopwatch.StartNew();
        using (torch.NewDisposeScope())
        {
            network.train();
            network.call(input).square().sum().backward();
        }
        network.zero_grad();
        return watch.Elapsed.TotalMilliseconds;
    }
    foreach (var (_, network) in networks)
        Step(network);   // warm-up
    var times = new List<double>[] { [], [] };
    for (int round = 0; round < rounds; round++)
        for (int k = 0; k < 2; k++)
        {
            int i = (round + k) % 2;   // alternate which goes first
            times[i].Add(Step(networks[i].Network));
        }
    static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
    Console.WriteLine($"tiny S3D-G (width 0.125, 2 x 3 x 8 x 32², {swapped} batch norms) training step, median of {rounds} interleaved rounds: " +
        $"TorchSharp BatchNorm3d {Median(times[0]):F2} ms, GcSafeBatchNorm {Median(times[1]):F2} ms, ratio GcSafe / TorchSharp {Median(times[1]) / Median(times[0]):F3}");
    return failures[1] == 0 ? 0 : 1;
}

// The update TorchSharp's SGD makes for every parameter, param.add_(grad, alpha: −lr) with the alpha an implicit Scalar,
// under the same forced collections: how often it throws, and whether a freed alpha ever gives a silently wrong update.
// Then whole SGD steps, TorchSharp's against the training loop's own (MLNetVideo.Trainers.Common.SGD, Scalars held).
int UpdateStress(double seconds)
{
    using var parameter = torch.zeros([8]);
    using var gradient = torch.ones([8]);
    using var expected = torch.full([8], 0.125f);
    int thrown = 0, wrong = 0;
    string? first = null;
    long calls = 0;
    Tensor Update(Tensor unused)
    {
        var before = parameter.clone();
        try
        {
            parameter.add_(gradient, alpha: -0.125);
        }
        catch (Exception e)
        {
            thrown++;
            first ??= $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
            return before;
        }
        if (!before.sub(parameter).equal(expected).all().item<bool>())   // no implicit Scalar in the check itself
        {
            wrong++;
            first ??= "a wrong update";
        }
        if (++calls % 1000 == 0)
            parameter.zero_();   // stays in the range where multiples of 0.125 are exact
        return before;
    }
    var outcome = FinalizerPressure.Run(Update, gradient, TimeSpan.FromSeconds(seconds));
    Console.WriteLine($"param.add_(grad, alpha: -0.125), float32: {outcome.Calls:N0} calls, {thrown} threw, {wrong} wrong updates{(first is null ? "" : $"; first: {first}")}");

    // Whole optimizer steps (momentum 0.9, weight decay 1e-3, 16 parameter tensors), TorchSharp's SGD against the
    // training loop's held-Scalar SGD, in alternating slices of at most 10 s so both see the same load.
    var parameters = Enumerable.Range(0, 16).Select(_ => new TorchSharp.Modules.Parameter(torch.zeros([8]))).ToList();
    foreach (var p in parameters)
        p.grad = torch.ones([8]);
    var groups = () => new[] { new TorchSharp.Modules.SGD.ParamGroup(parameters, lr: 1e-9, momentum: 0.9, weight_decay: 1e-3) };
    using var theirs = torch.optim.SGD(groups(), 1e-9, momentum: 0.9, weight_decay: 1e-3);
    using var ours = new MLNetVideo.Trainers.Common.SGD(groups(), 1e-9, 0.9, 1e-3);
    var steps = new long[2];
    var stepFailures = new int[2];
    var firstStepError = new string?[2];
    double slice = Math.Min(10, seconds / 2);
    for (double done = 0; done < seconds; done += 2 * slice)
    {
        for (int which = 0; which < 2; which++)
        {
            var optimizer = which == 0 ? (TorchSharp.Modules.OptimizerHelper)theirs : ours;
            var run = FinalizerPressure.Run(x => { optimizer.step(); return x; }, gradient, TimeSpan.FromSeconds(slice));
            steps[which] += run.Calls;
            stepFailures[which] += run.Failures;
            firstStepError[which] ??= run.FirstError;
        }
    }
    Console.WriteLine($"SGD steps (16 tensors each) under forced collections: TorchSharp's {steps[0]:N0} steps, {stepFailures[0]} threw{(firstStepError[0] is null ? "" : $" (first: {firstStepError[0]})")}; " +
        $"held-Scalar {steps[1]:N0} steps, {stepFailures[1]} threw{(firstStepError[1] is null ? "" : $" (first: {firstStepError[1]})")}");
    return stepFailures[1] == 0 ? 0 : 1;
}

static (long Tensors, long Rss, long Heap) Measure()
{
    GC.Collect();
    GC.WaitForPendingFinalizers();
    GC.Collect();
    return (Tensor.TotalCount, Environment.WorkingSet, GC.GetTotalMemory(false));
}

static long PeakRssKiB()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    return -1;
}

static int ChildDecoders()
{
    int self = Environment.ProcessId, count = 0;
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        try
        {
            string stat = File.ReadAllText(Path.Combine(dir, "stat"));
            int close = stat.LastIndexOf(')');
            string comm = stat[(stat.IndexOf('(') + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            if (int.Parse(fields[1], CultureInfo.InvariantCulture) == self && comm is "ffmpeg" or "ffprobe")
                count++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
        {
        }
    }
    return count;
}

internal sealed class PathRow
{
    public string VideoPath { get; set; } = "";
}

internal sealed class ClipInput
{
    [VectorType(3, 8, 32, 32)]
    public float[] Frames { get; set; } = [];
}

internal sealed class ClipPrediction
{
    public float[] Score { get; set; } = [];
}
