// ActionRecognition: the whole first hour in one program.
//   1. make the built-in sample set (synthetic moving shapes whose class depends on motion direction),
//   2. split it, decode and train S3D-G on the training videos (with progress), evaluate on the test videos,
//   3. save model.zip, metrics.json, confusion-matrix.png and training-curves.png,
//   4. load model.zip back the way a deployed app would, and classify single videos.
// Run: dotnet run --project examples/ActionRecognition -c Release -- [--data DIR] [--out DIR] [--epochs N] [--videos-per-class N]
using System.Diagnostics;
using ActionRecognition;
using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Reporting;
using MLNetVideo.Transforms.Datasets;
using MLNetVideo.Transforms.SampleData;

var arguments = Arguments.Parse(args);
Directory.CreateDirectory(arguments.Output);
var mlContext = new MLContext(seed: 1);

// 1. Data: a folder per class. Without --data, generate the built-in sample set once.
string dataFolder = arguments.Data ?? Path.Combine(arguments.Output, "sample-data");
if (arguments.Data is null && !Directory.Exists(dataFolder))
{
    Console.WriteLine($"Generating the built-in sample set in {dataFolder} ...");
    var videos = SyntheticActionVideos.Generate(dataFolder, new SyntheticActionOptions
    {
        VideosPerClass = arguments.VideosPerClass,
        Classes = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down],
        Frames = 16,
        Size = 48,
        Seed = 7,
    });
    Console.WriteLine($"  {videos.Count} mp4 videos in {videos.Select(v => v.Label).Distinct().Count()} classes");
}
var all = VideoDataset.FromDirectory(mlContext, dataFolder);
var split = mlContext.Data.TrainTestSplit(all, testFraction: 0.25, seed: 3);

// 2. Train (decoding progress, then one line per epoch) and evaluate.
var history = new TrainingHistory(Console.Out);
var settings = new ActionRecognitionModel.TrainingSettings { Epochs = arguments.Epochs, OnEpoch = history.OnEpoch };
Console.WriteLine($"Training S3D-G (width ×{settings.WidthMultiplier}, {settings.FramesPerClip}×{settings.FrameSize}², {settings.Epochs} epochs) ...");
var watch = Stopwatch.StartNew();
var model = ActionRecognitionModel.RetrainPipeline(mlContext, split.TrainSet, dataFolder, settings, new ConsoleProgress("decoding training videos", "videos"));
Console.WriteLine($"  trained in {watch.Elapsed.TotalSeconds:F0} s");

var evaluation = VideoEvaluation.Evaluate(mlContext, model, split.TestSet, progress: new ConsoleProgress("decoding + scoring test videos", "videos"));
Console.Write(ReportText.Summary(evaluation));

// 3. Save the model, the metrics and the plots.
string modelPath = Path.Combine(arguments.Output, "model.zip");
mlContext.Model.SaveAtomically(model, all.Schema, modelPath);   // MLNetVideo: temp file + rename, never a half-written zip
Console.WriteLine($"Saved {modelPath} ({new FileInfo(modelPath).Length / 1024.0:F0} KiB)");
new RunReport
{
    Model = "s3dg",
    Settings = new Dictionary<string, object?>
    {
        ["frames"] = settings.FramesPerClip, ["size"] = settings.FrameSize, ["epochs"] = settings.Epochs,
        ["batchSize"] = settings.BatchSize, ["width"] = settings.WidthMultiplier, ["learningRate"] = settings.LearningRate,
    },
    TrainSeconds = watch.Elapsed.TotalSeconds,
    Epochs = history.Epochs.Select(EpochRecord.From).ToArray(),
    Evaluation = evaluation,
    ModelPath = modelPath,
}.Save(Path.Combine(arguments.Output, "metrics.json"));
Plots.SaveConfusionMatrix(evaluation, Path.Combine(arguments.Output, "confusion-matrix.png"));
Plots.SaveTrainingCurves(history.Epochs, Path.Combine(arguments.Output, "training-curves.png"), title: "S3D-G on the sample set");
Console.WriteLine($"Wrote metrics.json, confusion-matrix.png and training-curves.png in {arguments.Output}");

// 4. Load as a deployed app would, and predict.
ActionRecognitionModel.ModelPath = modelPath;
ActionRecognitionModel.VideoFolder = dataFolder;
foreach (var row in VideoDataset.List(dataFolder, absolutePaths: false).Where((_, i) => i % Math.Max(1, arguments.VideosPerClass) == 0).Take(4))
{
    var prediction = ActionRecognitionModel.Predict(new ActionRecognitionModel.ModelInput { VideoPath = row.VideoPath });
    var top = string.Join(", ", ActionRecognitionModel.TopK(prediction, 3).Select(p => $"{p.Label} {p.Score:P0}"));
    Console.WriteLine($"  {row.VideoPath,-16} true: {row.Label,-6} predicted: {prediction.PredictedLabel,-6} top-3: {top}");
}
return 0;

internal sealed record Arguments(string? Data, string Output, int Epochs, int VideosPerClass)
{
    public static Arguments Parse(string[] args)
    {
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        return new Arguments(
            Value("--data"),
            Path.GetFullPath(Value("--out") ?? "out/action-recognition"),
            int.Parse(Value("--epochs") ?? "30"),
            int.Parse(Value("--videos-per-class") ?? "16"));
    }
}
