// ClipEvl: a frozen CLIP image tower turns every frame into features; only the small EVL decoder trains on them.
// Run: dotnet run --project examples/ClipEvl -c Release -- [--clip-weights clip-vit-base-patch16.safetensors] [--data DIR] [--out DIR] [--epochs N]
// Without --clip-weights the example runs on a tiny randomly initialised CLIP (32², 3 blocks) and says so: it shows
// the pipeline end to end in seconds, not what pretrained CLIP features can do.
using ClipEvl;
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Reporting;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.SampleData;

string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
string output = Path.GetFullPath(Value("--out") ?? "out/clip-evl");
int videosPerClass = int.Parse(Value("--videos-per-class") ?? "16");
var history = new TrainingHistory(Console.Out);
var settings = new ClipEvlModel.TrainingSettings
{
    ClipWeightsPath = Value("--clip-weights"),
    ClipVariant = Enum.Parse<ClipVisionVariant>(Value("--clip-variant") ?? "VitB16", ignoreCase: true),
    Epochs = int.Parse(Value("--epochs") ?? "30"),
    OnEpoch = history.OnEpoch,
};
if (settings.ClipWeightsPath is { } weights && !File.Exists(weights))
{
    Console.Error.WriteLine($"error: --clip-weights '{Path.GetFullPath(weights)}' does not exist.");
    return 2;
}
if (settings.UsesTinyRandomClip)
{
    Console.WriteLine("NOTE: no --clip-weights given: running on a TINY RANDOMLY INITIALISED CLIP encoder (32x32, 3 blocks), not a pretrained one.");
    Console.WriteLine("      The accuracy below shows the pipeline works; pass --clip-weights <CLIP ViT-B/16 safetensors> for real features.");
}
else
{
    Console.WriteLine($"CLIP {settings.ClipVariant} from {Path.GetFullPath(settings.ClipWeightsPath!)} (frozen; frames resized to {settings.FrameSize}²).");
}

Directory.CreateDirectory(output);
var mlContext = new MLContext(seed: 1);
string dataFolder = Value("--data") ?? Path.Combine(output, "sample-data");
if (Value("--data") is null && !Directory.Exists(dataFolder))
{
    Console.WriteLine($"Generating the built-in sample set in {dataFolder} ...");
    SyntheticActionVideos.Generate(dataFolder, new SyntheticActionOptions
    {
        VideosPerClass = videosPerClass,
        Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
        Frames = 16,
        Size = 48,
        Seed = 7,
    });
}
var all = VideoDataset.FromDirectory(mlContext, dataFolder);
var split = mlContext.Data.TrainTestSplit(all, testFraction: 0.25, seed: 3);

Console.WriteLine($"Training the EVL decoder on frozen CLIP features ({settings.Epochs} epochs; features are computed once, in the first epoch) ...");
var model = ClipEvlModel.RetrainPipeline(mlContext, split.TrainSet, dataFolder, settings);
var evaluation = VideoEvaluation.Evaluate(mlContext, model, split.TestSet, progress: new ConsoleProgress("decoding + featurizing + scoring test videos", "videos"));
Console.Write(ReportText.Summary(evaluation));

string modelPath = Path.Combine(output, "model.zip");
mlContext.Model.SaveAtomically(model, all.Schema, modelPath);   // MLNetVideo: temp file + rename, never a half-written zip
new RunReport
{
    Model = settings.UsesTinyRandomClip ? "evl (tiny random CLIP)" : $"evl (CLIP {settings.ClipVariant})",
    Settings = new Dictionary<string, object?> { ["frames"] = settings.FramesPerClip, ["size"] = settings.FrameSize, ["epochs"] = settings.Epochs, ["clipWeights"] = settings.ClipWeightsPath },
    Epochs = history.Epochs.Select(EpochRecord.From).ToArray(),
    Evaluation = evaluation,
    ModelPath = modelPath,
}.Save(Path.Combine(output, "metrics.json"));
Plots.SaveConfusionMatrix(evaluation, Path.Combine(output, "confusion-matrix.png"));
Plots.SaveTrainingCurves(history.Epochs, Path.Combine(output, "training-curves.png"), title: "EVL on frozen CLIP features");
Console.WriteLine($"Saved {modelPath}, metrics.json and the plots in {output}");

var weightsFolder = settings.ClipWeightsPath is { } weightsFile ? Path.GetDirectoryName(Path.GetFullPath(weightsFile)) : null;
var (predict, names) = ClipEvlModel.Load(modelPath, dataFolder, weightsFolder);
foreach (var row in VideoDataset.List(dataFolder, absolutePaths: false).Where((_, i) => i % Math.Max(1, videosPerClass) == 0).Take(4))
{
    var prediction = predict(new ClipEvlModel.ModelInput { VideoPath = row.VideoPath });
    var top = prediction.Score.Select((s, i) => (names[i], s)).OrderByDescending(p => p.s).Take(3).Select(p => $"{p.Item1} {p.s:P0}");
    Console.WriteLine($"  {row.VideoPath,-16} true: {row.Label,-6} predicted: {prediction.PredictedLabel,-6} top-3: {string.Join(", ", top)}");
}
return 0;
