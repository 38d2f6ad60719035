using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MLNetVideo;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

/// <summary>Issue 22: ONNX Runtime vs TorchSharp on one thread, interleaved, full-width random-init networks.
/// <c>onnx-families</c>: one network per family exported by its exporter; logits max |Δ| and seconds per clip.
/// <c>onnx-clip</c>: the frozen CLIP featurizer (ViT-B/16) with <see cref="ClipTowerBackend.TorchSharp"/> vs its default
/// (<see cref="ClipTowerBackend.Auto"/> = ONNX Runtime on the CPU); seconds per frame and features max |Δ|.</summary>
internal static class OnnxBackends
{
    public static int Families(string[] args)
    {
        int repeats = Option(args, "--repeats", 2);
        string only = OptionText(args, "--only") ?? "s3d,movinet,tsm,tsm-clustered,afnet,evl";
        Setup();
        Console.WriteLine($"ONNX Runtime vs TorchSharp, 1 thread each, {repeats} interleaved repetitions after a warm-up; load average before: {LoadAverage()}");
        Console.WriteLine("| family (full width, random init) | input | max abs logit | max abs diff of logits | TorchSharp s/clip | ONNX Runtime s/clip | ONNX ÷ TorchSharp |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var name in only.Split(','))
        {
            torch.manual_seed(1);
            var (label, network, input, export) = Build(name);
            using (network)
            {
                network.eval();
                string path = Path.Combine(Path.GetTempPath(), $"mlnetvideo-bench-{name}-{Environment.ProcessId}.onnx");
                try
                {
                    export(path);
                    using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
                    options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
                    using var session = new InferenceSession(path, options);
                    var onnxInput = new DenseTensor<float>(input.contiguous().data<float>().ToArray(), input.shape.Select(d => (int)d).ToArray());
                    float[] TorchRun()
                    {
                        using var mode = inference_mode();
                        using var scope = NewDisposeScope();
                        return network.call(input).data<float>().ToArray();
                    }
                    float[] OnnxRun()
                    {
                        using var results = session.Run([NamedOnnxValue.CreateFromTensor(VideoOnnxExport.InputName, onnxInput)], [VideoOnnxExport.OutputName]);
                        return results.First().AsTensor<float>().ToArray();
                    }
                    var a = TorchRun();
                    var b = OnnxRun();
                    double diff = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
                    var (torchTimes, onnxTimes) = (new List<double>(), new List<double>());
                    for (int r = 0; r < repeats; r++)
                    {
                        // Alternate which goes first, so both see the same machine.
                        if (r % 2 == 0) { torchTimes.Add(Time(() => TorchRun())); onnxTimes.Add(Time(() => OnnxRun())); }
                        else { onnxTimes.Add(Time(() => OnnxRun())); torchTimes.Add(Time(() => TorchRun())); }
                    }
                    double t = Median(torchTimes), o = Median(onnxTimes);
                    Console.WriteLine($"| {label} | {string.Join("×", input.shape.Skip(1))} | {a.Max(Math.Abs):E1} | {diff:E1} | {t:F3} | {o:F3} | {o / t:F2}× |");
                }
                finally
                {
                    File.Delete(path);
                    input.Dispose();
                }
            }
        }
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static (string Label, nn.Module<Tensor, Tensor> Network, Tensor Input, Action<string> Export) Build(string name)
    {
        switch (name)
        {
            case "s3d":
            {
                var n = new S3DNetwork(S3DSpecs.For(S3DVariant.S3DG, 400));
                return ("S3D-G", n, rand([1, 3, 16, 112, 112]), p => S3DOnnxExport.Export(n, p, 16, 112, 112));
            }
            case "movinet":
            {
                var n = new MoViNetNetwork(MoViNetSpecs.For(MoViNetVariant.A0, MoViNetMode.Base, 600));
                return ("MoViNet-A0 base", n, rand([1, 3, 16, 172, 172]), p => MoViNetOnnxExport.Export(n, p, 16, 172, 172));
            }
            case "tsm":
            {
                var n = new TsmNetwork(new TsmSpec { Depth = TsmDepth.ResNet50, NumClasses = 400 });
                return ("TSM ResNet-50", n, rand([1, 8, 3, 224, 224]), p => TsmOnnxExport.Export(n, p, 8, 224, 224));
            }
            case "tsm-clustered":
            {
                var n = new TsmNetwork(new TsmSpec { Depth = TsmDepth.ResNet50, NumClasses = 400, Clustering = TsmClustering.Cumulative, ClusterCount = 4 });
                return ("TSM ResNet-50, clustering 8→4", n, rand([1, 8, 3, 224, 224]), p => TsmOnnxExport.Export(n, p, 8, 224, 224));
            }
            case "afnet":
            {
                var n = new AFNetNetwork(new AFNetSpec { Depth = AFNetDepth.ResNet50, NumClasses = 400, Frames = 8 });
                return ("AFNet ResNet-50 (ONNX computes every frame)", n, rand([1, 8, 3, 224, 224]), p => AFNetOnnxExport.Export(n, p, 224, 224));
            }
            case "evl":
            {
                var spec = new EvlSpec { Frames = 8, NumClasses = 400 };
                var n = new EvlNetwork(spec);
                return ("EVL decoder (ViT-B/16 features, M = 4)", n, randn([1, spec.SlicesPerLayer * spec.Layers, 8, spec.Tokens, spec.Width]), p => EvlOnnxExport.Export(n, p));
            }
            default:
                throw new ArgumentException($"Unknown family '{name}' (s3d, movinet, tsm, tsm-clustered, afnet, evl).");
        }
    }

    private sealed class ClipRow
    {
        public float[] Frames { get; set; } = [];
    }

    /// <summary>One row holding a random clip of <paramref name="frames"/> frames of 3×224² (seeded).</summary>
    private static IDataView RandomClip(MLContext mlContext, int frames)
    {
        var definition = SchemaDefinition.Create(typeof(ClipRow));
        definition[nameof(ClipRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, frames, 3, 224, 224);
        var random = new Random(3);
        return mlContext.Data.LoadFromEnumerable(
            [new ClipRow { Frames = [.. Enumerable.Range(0, frames * 3 * 224 * 224).Select(_ => (float)random.NextDouble())] }], definition);
    }

    public static int Clip(string[] args)
    {
        int repeats = Option(args, "--repeats", 2);
        int frames = Option(args, "--frames", 4);
        Setup();
        var mlContext = new MLContext(seed: 1);
        var data = RandomClip(mlContext, frames);
        var sw = Stopwatch.StartNew();
        using var model = mlContext.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
        {
            Variant = ClipVisionVariant.VitB16, LayersKept = 4, Device = "cpu", FramesPerBatch = frames,
        }).Fit(data);
        double build = sw.Elapsed.TotalSeconds;
        float[] Run() => model.Transform(data).GetColumn<VBuffer<float>>("ClipFeatures").First().DenseValues().ToArray();
        Console.WriteLine($"CLIP ViT-B/16 featurizer (random init, M = 4 with q/k), 1 clip × {frames} frames 224², 1 thread; load average before: {LoadAverage()}");
        double session = Time(() => _ = model.ActiveBackend);
        Console.WriteLine($"default backend {model.Backend}, active {model.ActiveBackend} (export + session still to wait for after Fit, which starts it in the background: {session:F1} s; tower built in {build:F1} s)");
        var onnx = Run();
        model.Backend = ClipTowerBackend.TorchSharp;
        var torchFeatures = Run();
        double diff = onnx.Zip(torchFeatures, (x, y) => Math.Abs(x - y)).Max();
        var (torchTimes, onnxTimes) = (new List<double>(), new List<double>());
        for (int r = 0; r < repeats; r++)
        {
            foreach (var backend in r % 2 == 0 ? new[] { ClipTowerBackend.TorchSharp, ClipTowerBackend.Auto } : [ClipTowerBackend.Auto, ClipTowerBackend.TorchSharp])
            {
                if (model.Backend != backend)
                {
                    model.Backend = backend;
                    _ = model.ActiveBackend;    // the session is created outside the timing
                }
                (backend == ClipTowerBackend.Auto ? onnxTimes : torchTimes).Add(Time(() => Run()) / frames);
            }
        }
        double t = Median(torchTimes), o = Median(onnxTimes);
        Console.WriteLine("| backend | s/frame | ÷ TorchSharp |");
        Console.WriteLine("|---|---:|---:|");
        Console.WriteLine($"| TorchSharp | {t:F3} | 1.00× |");
        Console.WriteLine($"| ONNX Runtime (Auto) | {o:F3} | {o / t:F2}× |");
        Console.WriteLine($"features max abs diff {diff:E1}; per run TorchSharp [{string.Join(", ", torchTimes.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}], ONNX [{string.Join(", ", onnxTimes.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}]; load average after: {LoadAverage()}");
        return 0;
    }

    /// <summary><c>onnx-clip-first-row</c>: the first row of a fresh ViT-B/16 featurizer right after Fit, and after
    /// <c>--wait</c> seconds of other work (standing in for decoding or the rest of a pipeline) during which the session
    /// is made in the background; each with a fresh featurizer, 1 thread.</summary>
    public static int ClipFirstRow(string[] args)
    {
        int frames = Option(args, "--frames", 4);
        int wait = Option(args, "--wait", 15);
        Setup();
        var mlContext = new MLContext(seed: 1);
        var data = RandomClip(mlContext, frames);
        Console.WriteLine($"CLIP ViT-B/16 featurizer (random init, M = 4 with q/k), first row of 1 clip × {frames} frames 224², 1 thread; load average before: {LoadAverage()}");
        Console.WriteLine("| case | Fit, s | other work after Fit, s | first row, s |");
        Console.WriteLine("|---|---:|---:|---:|");
        foreach (int pause in new[] { 0, wait })
        {
            var sw = Stopwatch.StartNew();
            using var model = mlContext.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
            {
                Variant = ClipVisionVariant.VitB16, LayersKept = 4, Device = "cpu", FramesPerBatch = frames,
            }).Fit(data);
            double fit = sw.Elapsed.TotalSeconds;
            Thread.Sleep(TimeSpan.FromSeconds(pause));
            double first = Time(() => _ = model.Transform(data).GetColumn<VBuffer<float>>("ClipFeatures").First());
            Console.WriteLine($"| {(pause == 0 ? "first row right after Fit" : "first row after other work")} | {fit:F1} | {pause} | {first:F2} |");
        }
        Console.WriteLine($"load average after: {LoadAverage()}");
        return 0;
    }

    private static void Setup()
    {
        VideoRuntime.Configure(threads: 1);
        torch.set_num_threads(1);
        MLNetVideo.Trainers.OnnxScoringRuntime.IntraOpThreads = 1;
    }

    internal static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    internal static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    internal static int Option(string[] args, string name, int fallback)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    internal static string? OptionText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
