using System.Globalization;
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>Issue 22: scoring rows in one forward pass against one at a time, on the CPU, through the trained transformer's
/// own scoring call (<c>PredictRows</c>, what the scoring cursor runs), with the library's default threads. For each
/// network and backend: a warm-up of both, then repetitions alternating which goes first; the time per row of a batch of
/// <c>--rows</c> rows against the same rows scored one by one, and the largest difference of their probabilities.</summary>
internal static class ScoringBatchBench
{
    public static int Run(string[] args)
    {
        int repeats = OnnxBackends.Option(args, "--repeats", 3);
        int rows = OnnxBackends.Option(args, "--rows", 4);
        string only = OnnxBackends.OptionText(args, "--only") ?? "s3d-small,tsm-tiny,s3d";
        var mlContext = new MLContext(seed: 1);
        Console.WriteLine($"Scoring {rows} rows in one forward vs one by one; torch threads {torch.get_num_threads()}, ONNX Runtime intra-op threads {(OnnxScoringRuntime.IntraOpThreads is int t and > 0 ? t : VideoRuntime.Threads)}; " +
            $"{repeats} interleaved repetitions after a warm-up; load average before: {OnnxBackends.LoadAverage()}");
        Console.WriteLine($"| network | input per row | backend | one by one, s/row | {rows} per forward, s/row | batched ÷ one by one | max abs diff of probabilities |");
        Console.WriteLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var name in only.Split(','))
        {
            foreach (var backend in new[] { ScoringBackend.OnnxRuntime, ScoringBackend.TorchSharp })
            {
                torch.manual_seed(1);
                var (label, shape, model) = Build(mlContext, name);
                using (model)
                {
                    model.ScoringBackend = backend;
                    var random = new Random(2);
                    int size = model.Info.Clip.ViewSize;
                    var clips = Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, size).Select(_ => (float)random.NextDouble()).ToArray()).ToList();
                    float[][] OneByOne() => [.. clips.Select(c => model.PredictRows([c]).Probabilities[0])];
                    float[][] Batched() => model.PredictRows(clips).Probabilities;
                    var alone = OneByOne();
                    var together = Batched();
                    double diff = alone.Zip(together, (a, b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max()).Max();
                    var (single, batch) = (new List<double>(), new List<double>());
                    for (int r = 0; r < repeats; r++)
                    {
                        if (r % 2 == 0) { single.Add(OnnxBackends.Time(() => OneByOne())); batch.Add(OnnxBackends.Time(() => Batched())); }
                        else { batch.Add(OnnxBackends.Time(() => Batched())); single.Add(OnnxBackends.Time(() => OneByOne())); }
                    }
                    double s = OnnxBackends.Median(single) / rows, b = OnnxBackends.Median(batch) / rows;
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {label} | {shape} | {model.ActiveScoringBackend} | {s:F4} | {b:F4} | **{b / s:F2}×** | {diff:E1} |"));
                }
            }
        }
        Console.WriteLine($"load average after: {OnnxBackends.LoadAverage()}");
        return 0;
    }

    private static VideoClassifierInfo Info(int frames, int size, ClipLayout column, ClipLayout network, int classes) => new()
    {
        ClipColumnName = "Frames",
        ScoreColumnName = "Score",
        PredictedLabelColumnName = "PredictedLabel",
        Clip = new ClipGeometry(1, 3, frames, size, size, column),
        NetworkLayout = network,
        NumClasses = classes,
        Device = "cpu",
    };

    private static (string Label, string Shape, IVideoScoringModel Model) Build(MLContext mlContext, string name)
    {
        switch (name)
        {
            case "s3d-small":
            {
                var spec = S3DSpecs.For(S3DVariant.S3DG, 10, 0.25);
                var model = new VideoClassifierTransformer<S3DSpec>(mlContext, S3DBackbone.Instance, spec, new S3DNetwork(spec), Info(16, 112, ClipLayout.Cthw, ClipLayout.Cthw, 10), new Dictionary<string, object?>(), CPU);
                return ("S3D-G width 0.25 (the `score` benchmark's)", "3×16×112²", new Wrapper<S3DSpec>(model));
            }
            case "s3d":
            {
                var spec = S3DSpecs.For(S3DVariant.S3DG, 400);
                var model = new VideoClassifierTransformer<S3DSpec>(mlContext, S3DBackbone.Instance, spec, new S3DNetwork(spec), Info(16, 112, ClipLayout.Cthw, ClipLayout.Cthw, 400), new Dictionary<string, object?>(), CPU);
                return ("S3D-G full width", "3×16×112²", new Wrapper<S3DSpec>(model));
            }
            case "tsm-tiny":
            {
                var spec = new TsmSpec { Depth = TsmDepth.ResNet18, NumClasses = 10, WidthMultiplier = 0.25 };
                var model = new VideoClassifierTransformer<TsmSpec>(mlContext, TsmBackbone.Instance, spec, new TsmNetwork(spec), Info(8, 112, ClipLayout.Tchw, ClipLayout.Tchw, 10), new Dictionary<string, object?>(), CPU);
                return ("TSM ResNet-18 width 0.25", "8×3×112²", new Wrapper<TsmSpec>(model));
            }
            case "tsm":
            {
                var spec = new TsmSpec { Depth = TsmDepth.ResNet50, NumClasses = 400 };
                var model = new VideoClassifierTransformer<TsmSpec>(mlContext, TsmBackbone.Instance, spec, new TsmNetwork(spec), Info(8, 224, ClipLayout.Tchw, ClipLayout.Tchw, 400), new Dictionary<string, object?>(), CPU);
                return ("TSM ResNet-50", "8×3×224²", new Wrapper<TsmSpec>(model));
            }
            default:
                throw new ArgumentException($"Unknown network '{name}' (s3d-small, s3d, tsm-tiny, tsm).");
        }
    }

    /// <summary>The parts of a trained transformer this benchmark uses, whatever its spec type.</summary>
    private interface IVideoScoringModel : IDisposable
    {
        ScoringBackend ScoringBackend { set; }
        ScoringBackend ActiveScoringBackend { get; }
        VideoClassifierInfo Info { get; }
        (float[][] Probabilities, float[][] Extras) PredictRows(IReadOnlyList<float[]> rows);
    }

    private sealed class Wrapper<TSpec>(VideoClassifierTransformer<TSpec> model) : IVideoScoringModel where TSpec : class
    {
        public ScoringBackend ScoringBackend { set => model.ScoringBackend = value; }
        public ScoringBackend ActiveScoringBackend => model.ActiveScoringBackend;
        public VideoClassifierInfo Info => model.Info;
        public (float[][] Probabilities, float[][] Extras) PredictRows(IReadOnlyList<float[]> rows) => model.PredictRows(rows);
        public void Dispose() => model.Dispose();
    }
}
