using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.Tsm;
using MLNetVideo.Weights;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// The synthetic fine-tuning task (issue 17, item 5), shared by <c>FineTuningTests</c> and <c>benchmarks/FineTuneBenchmarks</c>
/// (which links this file): a tiny TSM (ResNet-18 ×0.125, 4 frames of 32²) is pre-trained on drifting gratings of period 8 at
/// 8 orientations and saved as the TSM reference releases its checkpoints (legacy torch.save, <c>module.base_model.</c> keys,
/// <c>new_fc</c>); the downstream task is period 6 at the 4 orientations between the pre-training ones.
/// </summary>
internal static class FineTuningTask
{
    public const int Frames = 4;
    public const int Size = 32;
    public static readonly double[] PretrainAngles = [0, 22.5, 45, 67.5, 90, 112.5, 135, 157.5];
    public static readonly double[] TargetAngles = [11.25, 56.25, 101.25, 146.25];

    /// <summary>The tiny TSM's options; <paramref name="weights"/> is the checkpoint to start from (null: scratch).</summary>
    public static TsmTrainer.Options Options(int epochs, int batch, int seed, string? weights, Action<EpochMetrics>? metrics = null) => new()
    {
        MetricsCallback = metrics,
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

    /// <summary>Pre-trains on the 8-orientation task (128 clips, 4 epochs, batches of 16), writes the network to
    /// <paramref name="checkpoint"/> in the TSM reference layout and returns the accuracy on 64 held-out clips.</summary>
    public static double PretrainAndSave(MLContext mlContext, string checkpoint, int seed, int dataSeed, int heldOutSeed, Action<EpochMetrics>? metrics = null)
    {
        using var pretrained = mlContext.MulticlassClassification.Trainers.Tsm(Options(4, 16, seed, null, metrics))
            .Fit(Gratings(mlContext, 128, dataSeed, PretrainAngles, period: 8));
        double accuracy = mlContext.MulticlassClassification.Evaluate(pretrained.Transform(Gratings(mlContext, 64, heldOutSeed, PretrainAngles, period: 8))).MicroAccuracy;
        var entries = pretrained.Network.state_dict().Select(kv => new KeyValuePair<string, TensorData>(
            "module." + (kv.Key.StartsWith("fc.", StringComparison.Ordinal) ? "new_" + kv.Key : "base_model." + kv.Key), TensorData.FromTensor(kv.Value))).ToList();
        PyTorchCheckpointWriter.Write(checkpoint, [new("epoch", 4L), new("arch", "resnet18"), new("state_dict", entries)], PyTorchCheckpointFormat.Legacy);
        return accuracy;
    }

    /// <summary>Drifting gratings: stripes of <paramref name="period"/> pixels at one of <paramref name="angles"/> degrees (the
    /// label, "gNNN.NN"), random phase, drifting a quarter period per frame, Gaussian noise 0.3; Frames = [3, 4, 32, 32], Label a key
    /// (values sorted).</summary>
    public static IDataView Gratings(MLContext mlContext, int count, int seed, double[] angles, double period)
    {
        var random = new Random(seed);
        var rows = new List<GratingRow>();
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
                                (float)(Math.Sin((2 * Math.PI * ((x * Math.Cos(angle)) + (y * Math.Sin(angle))) / period) + phase + (t * Math.PI / 2)) + (0.3f * noise));
                        }
            rows.Add(new GratingRow { Frames = data, Label = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"g{degrees:000.00}") });
        }
        var definition = SchemaDefinition.Create(typeof(GratingRow));
        definition[nameof(GratingRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, Frames, Size, Size);
        var view = mlContext.Data.LoadFromEnumerable(rows, definition);
        return mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(view).Transform(view);
    }

    internal sealed class GratingRow
    {
        public float[] Frames { get; set; } = [];

        public string Label { get; set; } = "";
    }
}
