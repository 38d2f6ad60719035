using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

/// <summary>
/// <c>learned</c> mode (issue 19, part 3): trains a tiny AFNet (AF-ResNet-18 ×0.25) at each target ratio and a TSM-ResNet-18
/// ×0.25 on the same clips with the same optimizer settings, then reports per model the test accuracy, the selected ratio
/// at inference (the navigation's own, noise-free decisions), the executed MACs per clip and the inference wall time per
/// clip (batch 1, one thread, the models timed in rotation on the same clips, min and median of the per-round means).
/// Usage: <c>learned --data sample|twoleg [--targets 0.25,0.5,0.75,1] [--rounds 5] [--time-clips 32] [Name=Value ...]</c>;
/// Name=Value set AFNet options (and the shared ones, Epochs/Optimizer/LearningRate/..., on TSM too).
/// </summary>
internal static class LearnedCost
{
    public static int Run(string[] args)
    {
        string data = "sample";
        double[] targets = [0.25, 0.5, 0.75, 1.0];
        int trainPerClass = 12, testPerClass = 50, rounds = 5, timeClips = 32, seed = 1;
        var overrides = new List<(string Name, string Value)>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": data = args[++i]; break;
                case "--targets": targets = [.. args[++i].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))]; break;
                case "--train-per-class": trainPerClass = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--test-per-class": testPerClass = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--time-clips": timeClips = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default:
                    var parts = args[i].Split('=', 2);
                    if (parts.Length != 2) throw new ArgumentException($"Unknown argument {args[i]}.");
                    overrides.Add((parts[0], parts[1]));
                    break;
            }
        }
        torch.set_num_threads(1);
        var (train, test, classes, frames) = data switch
        {
            "sample" => (SyntheticClipSets.SampleSet(trainPerClass, 7), SyntheticClipSets.SampleSet(testPerClass, 8), SyntheticClipSets.SampleClasses, 8),
            "twoleg" => (SyntheticClipSets.TwoLegSet(trainPerClass, 7), SyntheticClipSets.TwoLegSet(testPerClass, 8), SyntheticClipSets.TwoLegClasses, 16),
            _ => throw new ArgumentException($"--data must be sample or twoleg; got {data}."),
        };
        var mlContext = new MLContext(seed: 1);
        var trainView = Learning.Load(mlContext, train, classes, frames);
        var testView = Learning.Load(mlContext, test, classes, frames);
        Console.WriteLine($"set {data}: {train.Count} training and {test.Count} test clips of {frames} frames of 32², {classes.Length} classes, 1 thread; " +
            $"overrides: {(overrides.Count == 0 ? "none" : string.Join(' ', overrides.Select(o => $"{o.Name}={o.Value}")))}; load before: {Load()}");

        var models = new List<(string Name, ITransformer Model, Func<Tensor, Tensor> Forward, double Macs, double Accuracy, double Ratio)>();
        foreach (double target in targets)
        {
            var options = new AFNetTrainer.Options
            {
                Depth = AFNetDepth.ResNet18, WidthMultiplier = 0.25, ClipLayout = ClipLayout.Cthw, Device = "cpu", Seed = seed, TargetRatio = target,
            };
            foreach (var (name, value) in overrides)
                Learning.Set(options, name, value);
            var model = mlContext.MulticlassClassification.Trainers.AFNet(options).Fit(trainView);
            var scored = model.Transform(testView);
            double accuracy = mlContext.MulticlassClassification.Evaluate(scored).MicroAccuracy;
            double ratio = scored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).Average();
            double macs = test.Take(timeClips).Average(c => model.Predict(c.Clip).MultiplyAccumulates);
            var network = (AFNetNetwork)model.Network;
            models.Add(($"AFNet RT {target:0.##}", model, x => network.Run(x).Logits, macs, accuracy, ratio));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  trained AFNet RT {target:0.##}: ratio {ratio:F3}, accuracy {accuracy:P1}"));
        }
        {
            var options = new TsmTrainer.Options
            {
                Depth = TsmDepth.ResNet18, WidthMultiplier = 0.25, ClipLayout = ClipLayout.Cthw, Device = "cpu", Seed = seed,
            };
            foreach (var (name, value) in overrides.Where(o => typeof(VideoTrainerOptionsBase).GetProperty(o.Name) is not null))
                Learning.Set(options, name, value);
            var model = mlContext.MulticlassClassification.Trainers.Tsm(options).Fit(trainView);
            var scored = model.Transform(testView);
            double accuracy = mlContext.MulticlassClassification.Evaluate(scored).MicroAccuracy;
            var network = (TsmNetwork)model.Network;
            double macs = TsmMacs(network, frames);
            models.Add(("TSM-R18", model, x => network.call(x), macs, accuracy, double.NaN));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  trained TSM: accuracy {accuracy:P1}"));
        }

        // Wall time: the models run in rotation, one forward per model per clip, on the same clips; per round the mean per clip.
        var inputs = test.Take(timeClips).Select(c => c.Clip).ToArray();
        var layoutOf = models.Select(m => ((dynamic)m.Model).Info).ToArray();
        var times = models.Select(_ => new List<double>()).ToList();
        for (int round = 0; round <= rounds; round++)
        {
            var sums = new double[models.Count];
            foreach (var clip in inputs)
            {
                for (int m = 0; m < models.Count; m++)
                {
                    using var inference = inference_mode();
                    using var scope = NewDisposeScope();
                    var info = (VideoClassifierInfo)layoutOf[m];
                    var x = info.Clip.ToTensor(clip, 1, info.NetworkLayout, CPU);
                    var clock = Stopwatch.StartNew();
                    models[m].Forward(x);
                    sums[m] += clock.Elapsed.TotalMilliseconds;
                }
            }
            if (round > 0)
                for (int m = 0; m < models.Count; m++) times[m].Add(sums[m] / inputs.Length);
        }
        int reference = models.FindIndex(m => m.Name == "AFNet RT 1");
        int tsm = models.Count - 1;
        double Median(List<double> t) => t.Order().ElementAt(t.Count / 2);
        Console.WriteLine();
        Console.WriteLine($"| model | selected ratio at inference | test accuracy | MMACs / clip | vs AFNet RT 1 | vs TSM | ms / clip, min / median | time vs AFNet RT 1 (median) | time vs TSM (median) |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (int m = 0; m < models.Count; m++)
        {
            var (name, _, _, macs, accuracy, ratio) = models[m];
            double refMacs = reference >= 0 ? models[reference].Macs : double.NaN, refTime = reference >= 0 ? Median(times[reference]) : double.NaN;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {(double.IsNaN(ratio) ? "–" : ratio.ToString("F3", CultureInfo.InvariantCulture))} | {accuracy * 100:F1} % | {macs / 1e6:F2} | {macs / refMacs:F2} | {macs / models[tsm].Macs:F2} | {times[m].Min():F2} / {Median(times[m]):F2} | {Median(times[m]) / refTime:F2} | {Median(times[m]) / Median(times[tsm]):F2} |"));
        }
        Console.WriteLine($"{inputs.Length} clips × {rounds} rounds after one warm-up round; load after: {Load()}");
        foreach (var m in models) (m.Model as IDisposable)?.Dispose();
        return 0;
    }

    private static double TsmMacs(TsmNetwork network, int frames)
    {
        long macs = 0;
        var removers = new List<Action>();
        foreach (var (_, module) in network.named_modules())
        {
            if (module is Conv2d conv)
                removers.Add(conv.register_forward_hook((m, input, output) => { macs += conv.weight!.numel() * output.shape[0] * output.shape[2] * output.shape[3]; return output; }).remove);
            else if (module is Linear linear)
                removers.Add(linear.register_forward_hook((m, input, output) => { macs += linear.weight!.numel() * output.shape[0]; return output; }).remove);
        }
        using (inference_mode())
        using (var scope = NewDisposeScope())
            network.call(randn(new long[] { 1, frames, 3, 32, 32 }));
        foreach (var remove in removers) remove();
        return macs;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
