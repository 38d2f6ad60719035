using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Tensor = TorchSharp.torch.Tensor;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Trainers.Evl;
using TorchSharp;
using static TorchSharp.torch;

// EVL on a frozen CLIP vs end-to-end fine-tuning of the same ViT, and CLIP frames/s via TorchSharp and ONNX Runtime, on the CPU.
// Every configuration runs in a fresh child process; its peak memory is the child's VmHWM (/proc/self/status).
// Random-init weights throughout: times and memory do not depend on the values.
//
//   EvlBenchmarks [--variant VitB16] [--batch 1] [--frames 4] [--layers 4] [--steps 1] [--threads 2] [--cap-gib 5]
//                 [--configs evl-cached,evl-uncached,e2e,evl-cached-x8,torch-fps,onnx-fps] [--fps-frames 4]
//   EvlBenchmarks threads [--repeats 2] [--frames 8] [--size 80]   (issue 22: threads × OpenMP wait policy × load; ThreadPolicy.cs)
if (args.Length > 0 && args[0] == "threads")
    return await ThreadPolicy.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "threads-cell")
    return ThreadPolicy.Cell(args[1..]);
//   EvlBenchmarks s3d-profile [--threads 1] [--batch 2] [--frames 16] [--size 112] [--repeats 3]   (issue 22: S3D by block; S3DProfile.cs)
if (args.Length > 0 && args[0] == "s3d-profile")
    return S3DProfile.Run(args[1..]);
//   EvlBenchmarks s3d-jit-peer --jit out/s3d_train_b2.pt [--threads 1] [--batch 2] [--repeats 5]   (issue 22 item 4: same-libtorch TorchScript peer; S3DJitPeer.cs)
if (args.Length > 0 && args[0] == "s3d-jit-peer")
    return S3DJitPeer.Run(args[1..]);
//   EvlBenchmarks onnx-families [--repeats 2] [--only s3d,movinet,tsm,tsm-clustered,afnet,evl]   (issue 22: ONNX vs TorchSharp; OnnxBackends.cs)
//   EvlBenchmarks onnx-clip [--repeats 2] [--frames 4]   (issue 22: the CLIP featurizer's ONNX route vs TorchSharp)
//   EvlBenchmarks scoring-batch [--repeats 3] [--rows 4] [--only s3d-small,tsm-tiny,s3d,tsm]   (issue 22: rows per forward when scoring; ScoringBatchBench.cs)
if (args.Length > 0 && args[0] == "scoring-batch")
    return ScoringBatchBench.Run(args[1..]);
if (args.Length > 0 && args[0] == "onnx-families")
    return OnnxBackends.Families(args[1..]);
//   EvlBenchmarks onnx-clip-first-row [--frames 4] [--wait 15]   (issue 22: the CLIP session made in the background)
if (args.Length > 0 && args[0] == "onnx-clip-first-row")
    return OnnxBackends.ClipFirstRow(args[1..]);
if (args.Length > 0 && args[0] == "onnx-clip")
    return OnnxBackends.Clip(args[1..]);
var options = Args.Parse(args);
if (options.Child is { } child)
{
    Child.Run(child, options);
    return 0;
}

Console.WriteLine($"EVL benchmark: CLIP {options.Variant}, batch {options.Batch} clip(s) × {options.Frames} frames, M = {options.Layers}, " +
    $"{options.Steps} timed step(s) after {(options.Warmup ? "1 warm-up step" : "no warm-up (first step of a fresh process)")}, {options.Threads} threads, cap {options.CapGiB} GiB");
Console.WriteLine($"load average before: {File.ReadAllText("/proc/loadavg").Trim()}");
var results = new Dictionary<string, Dictionary<string, string>>();
foreach (var config in options.Configs)
{
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in args) psi.ArgumentList.Add(a);
    psi.ArgumentList.Add("--child");
    psi.ArgumentList.Add(config);
    using var process = Process.Start(psi)!;
    var stderr = process.StandardError.ReadToEndAsync();
    string? last = null;
    while (process.StandardOutput.ReadLine() is { } line)
    {
        Console.WriteLine($"  [{config}] {line}");
        if (line.StartsWith("RESULT ", StringComparison.Ordinal)) last = line;
    }
    process.WaitForExit();
    if (process.ExitCode != 0 || last is null)
    {
        Console.WriteLine($"  [{config}] failed (exit {process.ExitCode}): {(await stderr).Trim().Split('\n').LastOrDefault()}");
        continue;
    }
    results[config] = last["RESULT ".Length..].Split(' ').Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);
}
Console.WriteLine($"load average after: {File.ReadAllText("/proc/loadavg").Trim()}");

double Get(string config, string key) => results.TryGetValue(config, out var r) && r.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : double.NaN;
Console.WriteLine();
Console.WriteLine("| configuration | batch × frames | step time (s) | peak RSS, VmHWM (MiB) | step peak over idle (MiB) |");
Console.WriteLine("|---|---|---:|---:|---:|");
foreach (var config in options.Configs.Where(c => !c.EndsWith("-fps", StringComparison.Ordinal)))
    Console.WriteLine($"| {config} | {Get(config, "batch")} × {options.Frames} | {Get(config, "seconds"):F2} | {Get(config, "hwm_mib"):F0} | {Get(config, "over_idle_mib"):F0} |");
foreach (var (name, baseline) in new[] { ("cached", "evl-cached"), ("uncached", "evl-uncached") })
    Console.WriteLine($"end-to-end / EVL {name}: time {Get("e2e", "seconds") / Get(baseline, "seconds"):F1}×, peak RSS {Get("e2e", "hwm_mib") / Get(baseline, "hwm_mib"):F1}×, step peak over idle {Get("e2e", "over_idle_mib") / Get(baseline, "over_idle_mib"):F1}×");
foreach (var config in options.Configs.Where(c => c.EndsWith("-fps", StringComparison.Ordinal)))
    Console.WriteLine($"{config}: {Get(config, "fps"):F2} frames/s (batch {options.FpsFrames} frames, last {options.Layers} blocks + q/k), peak RSS {Get(config, "hwm_mib"):F0} MiB");
return 0;

internal sealed class Args
{
    public ClipVisionVariant Variant { get; private set; } = ClipVisionVariant.VitB16;
    public int Batch { get; private set; } = 1;
    public int Frames { get; private set; } = 4;
    public int Layers { get; private set; } = 4;
    public int Steps { get; private set; } = 1;
    public bool Warmup { get; private set; }
    public int Threads { get; private set; } = 2;
    public double CapGiB { get; private set; } = 5;
    public int FpsFrames { get; private set; } = 4;
    public string[] Configs { get; private set; } = ["evl-cached", "evl-cached-x8", "evl-uncached", "e2e", "torch-fps", "onnx-fps"];
    public string? Child { get; private set; }

    public static Args Parse(string[] args)
    {
        var o = new Args();
        for (int i = 0; i < args.Length; i++)
        {
            string value = i + 1 < args.Length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--variant": o.Variant = Enum.Parse<ClipVisionVariant>(value); i++; break;
                case "--batch": o.Batch = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--frames": o.Frames = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--layers": o.Layers = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--steps": o.Steps = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--warmup": o.Warmup = true; break;
                case "--threads": o.Threads = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--cap-gib": o.CapGiB = double.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--fps-frames": o.FpsFrames = int.Parse(value, CultureInfo.InvariantCulture); i++; break;
                case "--configs": o.Configs = value.Split(',', StringSplitOptions.RemoveEmptyEntries); i++; break;
                case "--child": o.Child = value; i++; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'.");
            }
        }
        return o;
    }
}

internal static class Child
{
    public static void Run(string config, Args o)
    {
        torch.set_num_threads(o.Threads);
        torch.manual_seed(1);
        StartWatchdog(o.CapGiB);
        var spec = ClipVisionSpecs.Get(o.Variant);
        switch (config)
        {
            case "evl-cached": Train(spec, o, o.Batch, Mode.Cached); break;
            case "evl-cached-x8": Train(spec, o, 8 * o.Batch, Mode.Cached); break;
            case "evl-uncached": Train(spec, o, o.Batch, Mode.FrozenForward); break;
            case "e2e": Train(spec, o, o.Batch, Mode.EndToEnd); break;
            case "torch-fps": TorchThroughput(o); break;
            case "onnx-fps": OnnxThroughput(o); break;
            default: throw new ArgumentException($"Unknown configuration '{config}'.");
        }
    }

    private enum Mode { Cached, FrozenForward, EndToEnd }

    private static void Train(ClipVisionSpec spec, Args o, int batch, Mode mode)
    {
        int t = o.Frames, m = o.Layers;
        var evlSpec = new EvlSpec
        {
            Layers = m, Frames = t, Tokens = spec.Tokens, Width = spec.Width, BackboneHeads = spec.Heads,
            DecoderHeads = Math.Max(1, spec.Width / 64), NumClasses = 400,
        };
        using var evl = (EvlNetwork)EvlBackbone.Instance.CreateNetwork(evlSpec);
        evl.train();
        ClipVisionNetwork? clip = mode == Mode.Cached ? null : new ClipVisionNetwork(spec);
        var trainable = evl.parameters().ToList();
        if (clip is not null)
        {
            if (mode == Mode.EndToEnd) { clip.train(); trainable.AddRange(clip.parameters()); }
            else { clip.eval(); foreach (var p in clip.parameters()) p.requires_grad = false; }
        }
        using var optimizer = optim.AdamW(trainable, 4e-4, weight_decay: 0.05);
        var labels = randint(0, 400, [batch]);
        var images = randn(batch * t, 3, spec.ImageSize, spec.ImageSize);

        // "Cached": the features of each clip come from a file, as the featurizer's CacheFolder would serve them.
        string? cacheFile = null;
        long featureCount = (long)batch * 3 * m * t * spec.Tokens * spec.Width;
        if (mode == Mode.Cached)
        {
            cacheFile = Path.Combine(Path.GetTempPath(), $"evl-bench-{Environment.ProcessId}.bin");
            using var features = randn(featureCount);
            File.WriteAllBytes(cacheFile, System.Runtime.InteropServices.MemoryMarshal.AsBytes(features.data<float>().ToArray().AsSpan()).ToArray());
        }

        Tensor Features()
        {
            if (cacheFile is not null)
            {
                var bytes = File.ReadAllBytes(cacheFile);
                var floats = new float[featureCount];
                Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
                return tensor(floats, [batch, 3 * m, t, spec.Tokens, spec.Width]);
            }
            var (f, q, k) = clip!.ExtractFeatures(images, m, withQk: true);      // [M, B·T, L, W] each
            var all = cat([f, q!, k!], 0);
            return all.view(3 * m, batch, t, spec.Tokens, spec.Width).permute(1, 0, 2, 3, 4);
        }

        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            Tensor x;
            if (mode == Mode.FrozenForward) using (no_grad()) x = Features();
            else x = Features();
            var loss = nn.functional.cross_entropy(evl.call(x), labels);
            loss.backward();
            optimizer.step();
        }

        if (o.Warmup) Step();
        GC.Collect();
        long idle = Status("VmRSS:");
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < o.Steps; i++) Step();
        double seconds = watch.Elapsed.TotalSeconds / o.Steps;
        long hwm = Status("VmHWM:");
        Console.WriteLine(FormattableString.Invariant($"trainable parameters {trainable.Sum(p => p.numel()):N0}"));
        Console.WriteLine(FormattableString.Invariant($"RESULT batch={batch} seconds={seconds:F3} hwm_mib={hwm / 1024.0:F0} over_idle_mib={(hwm - idle) / 1024.0:F0}"));
        clip?.Dispose();
        if (cacheFile is not null) File.Delete(cacheFile);
    }

    private static void TorchThroughput(Args o)
    {
        using var clip = new ClipVisionNetwork(ClipVisionSpecs.VitB16);
        clip.eval();
        using var frames = randn(o.FpsFrames, 3, 224, 224);
        using var _ = no_grad();
        using (NewDisposeScope()) clip.ExtractFeatures(frames.narrow(0, 0, 1), o.Layers, withQk: true);   // warm-up, 1 frame
        var watch = Stopwatch.StartNew();
        using (NewDisposeScope()) clip.ExtractFeatures(frames, o.Layers, withQk: true);
        double seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine(FormattableString.Invariant($"RESULT fps={o.FpsFrames / seconds:F3} seconds={seconds:F2} hwm_mib={Status("VmHWM:") / 1024.0:F0}"));
    }

    private static void OnnxThroughput(Args o)
    {
        string path = Path.Combine(Path.GetTempPath(), $"clip-b16-{Environment.ProcessId}.onnx");
        var exportWatch = Stopwatch.StartNew();
        using (var clip = new ClipVisionNetwork(ClipVisionSpecs.VitB16))
            ClipOnnxExporter.Export(clip, path);
        Console.WriteLine(FormattableString.Invariant($"exported ViT-B/16 ({new FileInfo(path).Length / 1048576.0:F0} MiB) in {exportWatch.Elapsed.TotalSeconds:F1} s"));
        GC.Collect();
        try
        {
            using var sessionOptions = new SessionOptions { IntraOpNumThreads = o.Threads };
            using var session = new InferenceSession(path, sessionOptions);
            var outputs = OnnxClipFeaturizer.EvlOutputNames(12, o.Layers).ToArray();
            var data = randn(o.FpsFrames * 3 * 224 * 224).data<float>().ToArray();
            var input = new DenseTensor<float>(data, [o.FpsFrames, 3, 224, 224]);
            var one = new DenseTensor<float>(data.AsMemory(0, 3 * 224 * 224), [1, 3, 224, 224]);
            using (session.Run([NamedOnnxValue.CreateFromTensor(ClipOnnxExporter.InputName, one)], outputs)) { }   // warm-up, 1 frame
            var watch = Stopwatch.StartNew();
            using (session.Run([NamedOnnxValue.CreateFromTensor(ClipOnnxExporter.InputName, input)], outputs)) { }
            double seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine(FormattableString.Invariant($"RESULT fps={o.FpsFrames / seconds:F3} seconds={seconds:F2} hwm_mib={Status("VmHWM:") / 1024.0:F0}"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static void StartWatchdog(double capGiB)
    {
        long cap = (long)(capGiB * 1024 * 1024);
        var thread = new Thread(() =>
        {
            while (true)
            {
                if (Status("VmRSS:") > cap)
                {
                    Console.Error.WriteLine($"RSS passed the {capGiB} GiB cap; stopping.");
                    Environment.Exit(3);
                }
                Thread.Sleep(5);
            }
        }) { IsBackground = true };
        thread.Start();
    }

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        return 0;
    }
}
