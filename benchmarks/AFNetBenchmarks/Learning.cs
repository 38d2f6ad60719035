using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.SampleData;

/// <summary>
/// <c>learn</c> mode: trains a tiny AFNet (AF-ResNet-18 ×0.25) through the public trainer on an in-memory generated set for
/// each target ratio, then reports the selected ratio at inference (the <c>SelectedFrameRatio</c> column) and the test
/// accuracy. Options are the trainer's defaults except the network size, the clip layout and the seed; any option can be
/// overridden as <c>Name=Value</c> (for example <c>Schedule=OfficialRecipe</c>, <c>Epochs=30</c>, <c>Optimizer=AdamW</c>).
/// <c>--trace FILE</c> writes the per-batch navigation diagnostics (<see cref="AFNetTrainer.StepDiagnosticNames"/>) as CSV.
/// </summary>
internal static class Learning
{
    public static int Run(string[] args)
    {
        string data = "sample", trace = "";
        double[] targets = [0.25, 0.5, 0.75];
        int trainPerClass = 12, testPerClass = 16, threads = 1, seed = 1;
        var overrides = new List<(string Name, string Value)>();
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--data": data = args[++i]; break;
                case "--targets": targets = [.. args[++i].Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture))]; break;
                case "--train-per-class": trainPerClass = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--test-per-class": testPerClass = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--seed": seed = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--trace": trace = args[++i]; break;
                default:
                    var parts = args[i].Split('=', 2);
                    if (parts.Length != 2) throw new ArgumentException($"Unknown argument {args[i]}.");
                    overrides.Add((parts[0], parts[1]));
                    break;
            }
        }
        TorchSharp.torch.set_num_threads(threads);
        var (train, test, classes, frames) = data switch
        {
            "sample" => (SyntheticClipSets.SampleSet(trainPerClass, 7), SyntheticClipSets.SampleSet(testPerClass, 8), SyntheticClipSets.SampleClasses, 8),
            "twoleg" => (SyntheticClipSets.TwoLegSet(trainPerClass, 7), SyntheticClipSets.TwoLegSet(testPerClass, 8), SyntheticClipSets.TwoLegClasses, 16),
            _ => throw new ArgumentException($"--data must be sample or twoleg; got {data}."),
        };
        var mlContext = new MLContext(seed: 1);
        var trainView = Load(mlContext, train, classes, frames);
        var testView = Load(mlContext, test, classes, frames);
        Console.WriteLine($"set {data}: {train.Count} training and {test.Count} test clips of {frames} frames of 32², {classes.Length} classes; " +
            $"overrides: {(overrides.Count == 0 ? "none" : string.Join(' ', overrides.Select(o => $"{o.Name}={o.Value}")))}");
        using var traceWriter = trace.Length > 0 ? new StreamWriter(trace) : null;
        traceWriter?.WriteLine("target,step," + string.Join(',', AFNetTrainer.StepDiagnosticNames));
        var summary = new List<string>();
        foreach (double target in targets)
        {
            long step = 0;
            var options = new AFNetTrainer.Options
            {
                Depth = AFNetDepth.ResNet18,
                WidthMultiplier = 0.25,
                ClipLayout = ClipLayout.Cthw,
                Device = "cpu",
                Seed = seed,
                TargetRatio = target,
                MetricsCallback = m => Console.WriteLine($"  RT {target}: {m}"),
                StepDiagnostics = traceWriter is null ? null : d => traceWriter.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{target},{step++},{string.Join(',', AFNetTrainer.StepDiagnosticNames.Select(n => d[n].ToString("G5", CultureInfo.InvariantCulture)))}")),
            };
            foreach (var (name, value) in overrides)
                Set(options, name, value);
            var clock = Stopwatch.StartNew();
            using var model = mlContext.MulticlassClassification.Trainers.AFNet(options).Fit(trainView);
            double trainSeconds = clock.Elapsed.TotalSeconds;
            var scored = model.Transform(testView);
            var ratios = scored.GetColumn<float>(AFNetScoring.SelectedFrameRatioColumnName).ToArray();
            var metrics = mlContext.MulticlassClassification.Evaluate(scored);
            string line = string.Create(CultureInfo.InvariantCulture,
                $"{data} RT {target:0.00}: inference ratio {ratios.Average():F3} (rows {ratios.Min():F2}–{ratios.Max():F2}), test accuracy {metrics.MicroAccuracy:P1}, trained in {trainSeconds:F0} s");
            Console.WriteLine(line);
            summary.Add(line);
        }
        Console.WriteLine();
        foreach (var line in summary) Console.WriteLine(line);
        return 0;
    }

    internal static void Set(object options, string name, string value)
    {
        var property = options.GetType().GetProperty(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance)
            ?? throw new ArgumentException($"{options.GetType().Name} has no property {name}.");
        var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        object? parsed = value == "null" ? null : type.IsEnum ? Enum.Parse(type, value) : Convert.ChangeType(value, type, CultureInfo.InvariantCulture);
        property.SetValue(options, parsed);
    }

    private sealed class Row
    {
        public float[] Frames { get; set; } = [];

        public string Label { get; set; } = "";
    }

    internal static IDataView Load(MLContext mlContext, List<SyntheticClip> clips, string[] classes, int frames)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        definition[nameof(Row.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, frames, 32, 32);
        var view = mlContext.Data.LoadFromEnumerable(clips.Select(c => new Row { Frames = c.Clip, Label = classes[c.Label] }), definition);
        return mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(view).Transform(view);
    }
}
