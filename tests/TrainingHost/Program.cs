using Microsoft.ML;
using MLNetVideo;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Trainers.S3D;

// Usage: MLNetVideo.TrainingHost <checkpoint folder> <epochs> <model zip to write> [--resume]
// Prints "row" for every training row read, "epoch N" after each epoch (its checkpoint is already on disk),
// "resumed-after N" when it continued from a checkpoint, and "done" after writing the final weights.
// Usage: MLNetVideo.TrainingHost --runtime-probe [threads]
// (issue 22) Resolves the CPU device through MLNetVideo (the first torch use), optionally sets VideoRuntime.Threads,
// runs one small matmul and prints "threads N" (torch.get_num_threads) and "policy P" (the native OMP_WAIT_POLICY).
if (args.Length >= 1 && args[0] == "--runtime-probe")
{
    try
    {
        _ = MLNetVideo.Devices.DeviceResolver.Resolve("cpu");
        if (args.Length > 1)
            VideoRuntime.Threads = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        using (var x = TorchSharp.torch.ones(64, 64))
        using (var y = x.matmul(x))
            Console.WriteLine($"sum {y.sum().item<float>()}");
        Console.WriteLine($"threads {TorchSharp.torch.get_num_threads()}");
        Console.WriteLine($"policy {VideoRuntime.WaitPolicy ?? "(unset)"}");
        return 0;
    }
    catch (InvalidOperationException e)
    {
        Console.Error.WriteLine("error: " + e.Message);
        return 1;
    }
}
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: MLNetVideo.TrainingHost <checkpoint folder> <epochs> <weights file> [--resume]");
    return 2;
}
string folder = args[0];
int epochs = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
string weights = args[2];
bool resume = args.Contains("--resume");

var mlContext = new MLContext(seed: 1);
mlContext.Log += (_, e) =>
{
    int at = e.Message.IndexOf("Resumed from ", StringComparison.Ordinal);
    if (at >= 0)
        Console.WriteLine("resumed-after " + e.Message[(e.Message.LastIndexOf(' ') + 1)..].TrimEnd('.'));
};
var rows = SyntheticClips.Motion(12, 1);

IEnumerable<ClipRow> Announced()
{
    foreach (var row in rows)
    {
        Console.WriteLine("row");
        yield return row;
    }
}

var data = SyntheticClips.LoadKeyed(mlContext, Announced());
var options = new S3DTrainer.Options
{
    Variant = S3DVariant.S3DG,
    WidthMultiplier = 0.125,
    Epochs = epochs,
    BatchSize = 2,
    Device = "cpu",
    Seed = 3,
    LearningRate = 0.01,
    PrefetchBatches = 1,
    ShufflePoolSize = 4,
    CheckpointFolder = folder,
    ResumeFromCheckpoint = resume,
    MetricsCallback = m => Console.WriteLine($"epoch {m.Epoch}"),
};
using var model = mlContext.MulticlassClassification.Trainers.S3D(options).Fit(data);
mlContext.Model.SaveAtomically(model, data.Schema, weights);
Console.WriteLine("done");
return 0;
