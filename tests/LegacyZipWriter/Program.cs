using System.Text.Json;
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Tests.Fixtures;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;

// Usage: MLNetVideo.LegacyZipWriter <folder> [name...]
// Trains one tiny model per family for one epoch on four rows, saves it as <name>.zip and records the scores of the
// fixed rows of LegacyZipInputs in <name>.json. The zips are committed: a later MLNetVideo must load them and score the same.
if (args.Length < 1)
{
    Console.Error.WriteLine("usage: MLNetVideo.LegacyZipWriter <folder> [name...]");
    return 2;
}
string folder = Path.GetFullPath(args[0]);
Directory.CreateDirectory(folder);
var only = args.Skip(1).ToHashSet(StringComparer.Ordinal);
string savedBy = Environment.GetEnvironmentVariable("LEGACY_ZIP_SAVED_BY") ?? "unknown";

static T Tiny<T>(T options) where T : VideoTrainerOptionsBase
{
    options.Epochs = 1;
    options.BatchSize = 2;
    options.Device = "cpu";
    options.Seed = 5;
    options.PrefetchBatches = 1;
    options.ShufflePoolSize = 4;
    return options;
}

int[] clip = [3, 4, 32, 32];
int[] tsmClip = [4, 3, 32, 32];
int[] evlFeatures = [3, 4, 5, 16];
var models = new (string Name, int[] Dimensions, Func<MLContext, IEstimator<ITransformer>> Trainer)[]
{
    ("s3d", [3, 8, 32, 32], ml => ml.MulticlassClassification.Trainers.S3D(Tiny(new S3DTrainer.Options { Variant = S3DVariant.S3D, WidthMultiplier = 1.0 / 64 }))),
    ("s3dg", [3, 8, 32, 32], ml => ml.MulticlassClassification.Trainers.S3D(Tiny(new S3DTrainer.Options { Variant = S3DVariant.S3DG, WidthMultiplier = 1.0 / 64 }))),
    ("movinet-base", clip, ml => ml.MulticlassClassification.Trainers.MoViNet(Tiny(new MoViNetTrainer.Options { Mode = MoViNetMode.Base, WidthMultiplier = 1.0 / 16, ClassifierHiddenChannels = 16 }))),
    ("movinet-stream", clip, ml => ml.MulticlassClassification.Trainers.MoViNet(Tiny(new MoViNetTrainer.Options { Mode = MoViNetMode.Stream, WidthMultiplier = 1.0 / 16, ClassifierHiddenChannels = 16 }))),
    ("movinet-ensemble", clip, ml => ml.MulticlassClassification.Trainers.MoViNet(Tiny(new MoViNetTrainer.Options { Mode = MoViNetMode.Stream, TemporalEnsemble = true, WidthMultiplier = 1.0 / 16, ClassifierHiddenChannels = 16 }))),
    ("tsm", tsmClip, ml => ml.MulticlassClassification.Trainers.Tsm(Tiny(new TsmTrainer.Options { Depth = TsmDepth.ResNet18, WidthMultiplier = 1.0 / 64 }))),
    ("tsm-clustered", [8, 3, 32, 32], ml => ml.MulticlassClassification.Trainers.Tsm(Tiny(new TsmTrainer.Options { Depth = TsmDepth.ResNet18, WidthMultiplier = 1.0 / 64, Clustering = TsmClustering.Cumulative, ClusterCount = 2 }))),
    ("afnet", tsmClip, ml => ml.MulticlassClassification.Trainers.AFNet(Tiny(new AFNetTrainer.Options { Depth = AFNetDepth.ResNet18, WidthMultiplier = 1.0 / 64 }))),
    ("evl", evlFeatures, ml => ml.MulticlassClassification.Trainers.Evl(Tiny(new EvlTrainer.Options { ClipColumnName = "Frames", BackboneHeads = 1, DecoderHeads = 1 }))),
};

foreach (var (name, dimensions, trainer) in models)
{
    if (only.Count > 0 && !only.Contains(name))
        continue;
    var mlContext = new MLContext(seed: 1);
    int size = dimensions.Aggregate(1, (a, b) => a * b);
    var rows = Enumerable.Range(0, 4).Select(i => new LegacyZipRow { Frames = LegacyZipInputs.Row(size, 10 + i), Label = i % 2 == 0 ? "a" : "b" }).ToList();
    var data = LegacyZipInputs.Load(mlContext, rows, dimensions);
    var keyed = mlContext.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
    var model = trainer(mlContext).Fit(keyed);
    var input = LegacyZipInputs.ScoringInput(mlContext, dimensions);
    string zip = Path.Combine(folder, name + ".zip");
    mlContext.Model.Save(model, input.Schema, zip);
    var record = new LegacyZipRecord
    {
        Name = name,
        SavedBy = savedBy,
        Dimensions = dimensions,
        Scores = LegacyZipInputs.Scores(model.Transform(input)),
    };
    (model as IDisposable)?.Dispose();
    File.WriteAllText(Path.Combine(folder, name + ".json"), JsonSerializer.Serialize(record, LegacyZipRecord.Json));
    Console.WriteLine($"{name}: {new FileInfo(zip).Length} bytes");
}
return 0;
