using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Reporting;

namespace MLNetVideo.Cli.Commands;

/// <summary>
/// <c>mlnetvideo benchmark</c>: for one model at the given clip size, trains on random in-memory clips for a few epochs
/// (training clips/s), scores them (inference clips/s, featurizer included) and reports parameters and FLOPs.
/// </summary>
internal static class BenchmarkCommand
{
    internal sealed class Row
    {
        public string Label { get; set; } = "";

        public float[] Frames { get; set; } = [];
    }

    public static Command Create(CliOutput io)
    {
        var model = CommonOptions.Model($"Model to measure: {string.Join(", ", ModelRegistry.Names)}.");
        var frames = new Option<int>("--frames") { Description = "Frames per clip.", DefaultValueFactory = _ => 8 };
        var size = new Option<int>("--size") { Description = "Square frame size.", DefaultValueFactory = _ => 32 };
        var clips = new Option<int>("--clips") { Description = "Random clips to train on and score.", DefaultValueFactory = _ => 32 };
        var epochs = new Option<int>("--epochs") { Description = "Training epochs to time (the last one is reported).", DefaultValueFactory = _ => 2 };
        var batch = new Option<int?>("--batch-size") { Description = "Clips per step (default: the model's)." };
        var width = new Option<double?>("--width") { Description = "Channel width multiplier (default: the model's)." };
        var json = new Option<string?>("--json") { Description = "Also write the result to this JSON file." };
        var device = CommonOptions.Device();
        var command = new Command("benchmark", "Measure a model's parameters, FLOPs and training/inference clips per second on random clips.")
        {
            model, frames, size, clips, epochs, batch, width, json, device,
        };
        command.SetAction(parse =>
        {
            var entry = ModelRegistry.Get(parse.GetValue(model)!);
            CommonOptions.CheckDevice(parse.GetValue(device)!);
            int t = parse.GetValue(frames), s = parse.GetValue(size), n = parse.GetValue(clips), e = parse.GetValue(epochs);
            if (t < 1 || s < 8 || n < 4 || e < 1) throw new CliException("--frames ≥ 1, --size ≥ 8, --clips ≥ 4 and --epochs ≥ 1 are required.");
            entry.CheckClip(t, s);
            var history = new TrainingHistory(io.Out, io.Interactive);
            var settings = new ModelSettings
            {
                Frames = t, Size = s, Epochs = e, BatchSize = parse.GetValue(batch), Width = parse.GetValue(width),
                Device = parse.GetValue(device)!, OnEpoch = history.OnEpoch,
            };
            var result = Measure(io, entry, settings, n, history);
            io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{entry.Name} at {t}×{s}²: {result.Parameters / 1e6:F3} M parameters, {(result.Gmacs is { } g ? g.ToString("F4", CultureInfo.InvariantCulture) + " GMACs/clip (" + (2 * g).ToString("F4", CultureInfo.InvariantCulture) + " GFLOPs)" : "FLOPs n/a")}, training {result.TrainClipsPerSecond:F1} clips/s, inference {result.InferenceClipsPerSecond:F1} clips/s ({result.Device})"));
            if (parse.GetValue(json) is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                File.WriteAllText(path, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            }
            return CliApp.Success;
        });
        return command;
    }

    internal sealed record BenchmarkResult(string Model, int Frames, int Size, long Parameters, double? Gmacs, double? Gflops, double TrainClipsPerSecond,
        double InferenceClipsPerSecond, string Device);

    internal static BenchmarkResult Measure(CliOutput io, ModelEntry entry, ModelSettings settings, int clipCount, TrainingHistory history)
    {
        var mlContext = new MLContext(seed: settings.Seed);
        var random = new Random(settings.Seed);
        int t = settings.Frames, s = settings.Size;
        var rows = Enumerable.Range(0, clipCount).Select(i => new Row
        {
            Label = $"c{i % 4}",
            Frames = Enumerable.Range(0, 3 * t * s * s).Select(_ => (float)random.NextDouble()).ToArray(),
        }).ToList();
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, t, s, s);
        var data = mlContext.Data.LoadFromEnumerable(rows, schema);

        IEstimator<ITransformer> prep = mlContext.Transforms.Conversion.MapValueToKey("Label");
        string column = "Frames";
        if (entry.CreateFeaturizer is not null)
        {
            prep = prep.Append(entry.CreateFeaturizer(mlContext, settings));
            column = "ClipFeatures";
        }
        var prepModel = prep.Fit(data);
        var prepared = VideoEvaluation.Materialize(mlContext, prepModel.Transform(data), column, io.Progress("preparing clips", "clips"));
        io.Out.WriteLine($"Training {entry.Name} for {settings.Epochs} epoch(s) on {clipCount} random clips of {t}×{s}² ...");
        var trained = entry.CreateTrainer(mlContext, settings).Fit(prepared);
        var classifier = VideoEvaluation.Flatten(trained).OfType<Trainers.IVideoClassifier>().First();

        // Inference: the whole model (featurizer included) on the raw clips, scores read row by row.
        var model = new TransformerChain<ITransformer>([.. VideoEvaluation.Flatten(prepModel), trained]);
        var cached = mlContext.Data.Cache(data);
        Touch(cached, "Frames");
        var watch = Stopwatch.StartNew();
        var scored = model.Transform(cached);
        Touch(scored, "Score");
        double inference = clipCount / watch.Elapsed.TotalSeconds;

        var firstRow = prepared.GetColumn<VBuffer<float>>(column).First().DenseValues().ToArray();
        var (parameters, macs) = ModelCost.Measure(classifier, firstRow);
        double training = history.Epochs.Count > 0 ? history.Epochs[^1].ClipsPerSecond : 0;
        return new BenchmarkResult(entry.Name, t, s, parameters, macs / 1e9, macs is { } m ? 2.0 * m / 1e9 : null, training, inference,
            MLNetVideo.Devices.DeviceResolver.Resolve(settings.Device).ToString());
    }

    private static void Touch(IDataView data, string column)
    {
        using var cursor = data.GetRowCursor([data.Schema[column]]);
        var getter = cursor.GetGetter<VBuffer<float>>(data.Schema[column]);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext()) getter(ref value);
    }
}
