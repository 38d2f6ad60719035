// Fine-tuning vs scratch on synthetic tasks (issue 17, item 5). A tiny TSM (ResNet-18 ×0.125, 4 frames of 32²) is
// pre-trained on drifting gratings of period 8 at 8 orientations, saved as the TSM reference releases its checkpoints
// (legacy torch.save, module.base_model. keys, new_fc), then trained on another task (period 6, 4 orientations between
// the pre-training ones, 16 clips) from scratch and through InitialWeights, with the same options and steps; accuracy
// on 64 held-out clips, mean over seeds. Usage: FineTuneBenchmarks [output.md] [--seeds N]
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Weights;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string output = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "out/finetune-benchmarks.md";
int seeds = args.SkipWhile(a => a != "--seeds").Skip(1).Select(int.Parse).FirstOrDefault(5);
const int Frames = 4, Size = 32;
double[] pretrainAngles = [0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5];
double[] targetAngles = [11.25, 56.25, 101.25, 146.25];
var variants = new (string Name, bool Pretrained, Action<TsmTrainer.Options> Configure)[]
{
    ("scratch", false, _ => { }),
    ("fine-tuned (InitialWeights)", true, _ => { }),
    ("fine-tuned, BackboneLearningRateScale = 0.1", true, o => o.BackboneLearningRateScale = 0.1),
    ("fine-tuned, FreezeBackbone (head only)", true, o => o.FreezeBackbone = true),
};
int[] epochs = [1, 3];
var accuracy = new Dictionary<(string, int), List<double>>();
var pretrainAccuracy = new List<double>();
string folder = Path.Combine(Path.GetTempPath(), $"mlnetvideo-finetune-{Environment.ProcessId}");
Directory.CreateDirectory(folder);
try
{
    for (int seed = 1; seed <= seeds; seed++)
    {
        var mlContext = new MLContext(seed);
        string checkpoint = Path.Combine(folder, $"pretrained-{seed}.pth");
        using (var pretrained = mlContext.MulticlassClassification.Trainers.Tsm(Options(4, 16, seed, null)).Fit(Load(mlContext, Gratings(128, seed, pretrainAngles, 8))))
        {
            pretrainAccuracy.Add(mlContext.MulticlassClassification.Evaluate(pretrained.Transform(Load(mlContext, Gratings(64, 1000 + seed, pretrainAngles, 8)))).MicroAccuracy);
            var entries = pretrained.Network.state_dict().Select(kv => new KeyValuePair<string, TensorData>(
                "module." + (kv.Key.StartsWith("fc.", StringComparison.Ordinal) ? "new_" + kv.Key : "base_model." + kv.Key), TensorData.FromTensor(kv.Value))).ToList();
            PyTorchCheckpointWriter.Write(checkpoint, [new("epoch", 4L), new("arch", "resnet18"), new("state_dict", entries)], PyTorchCheckpointFormat.Legacy);
        }
        var train = Load(mlContext, Gratings(16, 2000 + seed, targetAngles, 6));
        var test = Load(mlContext, Gratings(64, 3000 + seed, targetAngles, 6));
        foreach (int e in epochs)
        {
            foreach (var (name, usesWeights, configure) in variants)
            {
                var options = Options(e, 4, seed, usesWeights ? checkpoint : null);
                configure(options);
                using var model = mlContext.MulticlassClassification.Trainers.Tsm(options).Fit(train);
                double a = mlContext.MulticlassClassification.Evaluate(model.Transform(test)).MicroAccuracy;
                (accuracy.TryGetValue((name, e), out var list) ? list : accuracy[(name, e)] = []).Add(a);
                Console.WriteLine($"seed {seed}, {e} epoch(s), {name}: {a:P1}");
            }
        }
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

var text = new StringBuilder();
text.AppendLine($"Pre-training task (period 8, 8 orientations, 128 clips, 4 epochs): held-out accuracy {pretrainAccuracy.Average():P1} (mean of {seeds} seeds).");
text.AppendLine();
text.AppendLine("| downstream training (16 clips, 4 classes) | " + string.Join(" | ", epochs.Select(e => $"{e} epoch{(e > 1 ? "s" : "")} ({4 * e} steps)")) + " |");
text.AppendLine("|---|" + string.Concat(epochs.Select(_ => "---:|")));
foreach (var (name, _, _) in variants)
    text.AppendLine($"| {name} | " + string.Join(" | ", epochs.Select(e => $"{accuracy[(name, e)].Average():P1} (min {accuracy[(name, e)].Min():P1})")) + " |");
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, text.ToString());
Console.WriteLine(text);
Console.WriteLine($"wrote {output}");

static TsmTrainer.Options Options(int epochs, int batch, int seed, string? weights) => new()
{
    Depth = TsmDepth.ResNet18,
    WidthMultiplier = 0.125,
    ClipLayout = ClipLayout.Cthw,
    Epochs = epochs,
    BatchSize = batch,
    Optimizer = VideoOptimizer.AdamW,
    LearningRate = 3e-3,
    DropoutRate = 0,
    Device = "cpu",
    Seed = seed,
    InitialWeights = weights,
};

static IDataView Load(MLContext mlContext, List<Row> rows)
{
    var definition = SchemaDefinition.Create(typeof(Row));
    definition[nameof(Row.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, Frames, Size, Size);
    var data = mlContext.Data.LoadFromEnumerable(rows, definition);
    return mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
        .Fit(data).Transform(data);
}

// Stripes of `period` pixels at one of the angles (the label), random phase, drifting a quarter period per frame, noise 0.3.
static List<Row> Gratings(int count, int seed, double[] angles, double period)
{
    var random = new Random(seed);
    var rows = new List<Row>();
    for (int i = 0; i < count; i++)
    {
        double degrees = angles[i % angles.Length], angle = degrees * Math.PI / 180, phase = random.NextDouble() * 2 * Math.PI;
        var data = new float[3 * Frames * Size * Size];
        for (int c = 0; c < 3; c++)
            for (int t = 0; t < Frames; t++)
                for (int y = 0; y < Size; y++)
                    for (int x = 0; x < Size; x++)
                    {
                        double noise = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                        data[((((c * Frames) + t) * Size) + y) * Size + x] =
                            (float)(Math.Sin((2 * Math.PI * ((x * Math.Cos(angle)) + (y * Math.Sin(angle))) / period) + phase + (t * Math.PI / 2)) + (0.3 * noise));
                    }
        rows.Add(new Row { Frames = data, Label = $"g{degrees:000.00}" });
    }
    return rows;
}

internal sealed class Row
{
    public float[] Frames { get; set; } = [];

    public string Label { get; set; } = "";
}
