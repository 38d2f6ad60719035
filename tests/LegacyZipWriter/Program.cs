using System.Text.Json;
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Tests.Fixtures.LegacyZips;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;

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

int[] clip = [3, 4, 32, 32];
int[] tsmClip = [4, 3, 32, 32];
int[] evlFeatures = [3, 4, 5, 16];
var models = new (string Name, int[] Dimensions, Func<MLContext, IEstimator<ITransformer>> Trainer)[]
{
    ("s3d", [3, 8, 32, 32], ml => ml.MulticlassClassification.Trainers.S3D(TinyFamilies.S3D(S3DVariant.S3D))),
    ("s3dg", [3, 8, 32, 32], ml => ml.MulticlassClassification.Trainers.S3D(TinyFamilies.S3D(S3DVariant.S3DG))),
    ("movinet-base", clip, ml => ml.MulticlassClassification.Trainers.MoViNet(TinyFamilies.MoViNet(MoViNetMode.Base))),
    ("movinet-stream", clip, ml => ml.MulticlassClassification.Trainers.MoViNet(TinyFamilies.MoViNet(MoViNetMode.Stream))),
    ("movinet-ensemble", clip, ml => ml.MulticlassClassification.Trainers.MoViNet(TinyFamilies.MoViNet(MoViNetMode.Stream, temporalEnsemble: true))),
    ("tsm", tsmClip, ml => ml.MulticlassClassification.Trainers.Tsm(TinyFamilies.Tsm(clustered: false))),
    ("tsm-clustered", [8, 3, 32, 32], ml => ml.MulticlassClassification.Trainers.Tsm(TinyFamilies.Tsm(clustered: true))),
    ("afnet", tsmClip, ml => ml.MulticlassClassification.Trainers.AFNet(TinyFamilies.AFNet())),
    ("evl", evlFeatures, ml => ml.MulticlassClassification.Trainers.Evl(TinyFamilies.Evl())),
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
