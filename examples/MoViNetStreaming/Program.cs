// MoViNetStreaming: classify a video while it plays, frame by frame, with constant memory.
//   1. without --model: make the built-in sample set (moving shapes), train a tiny stream MoViNet-A0 on it, save the zip;
//   2. without a video argument: write a sample video whose motion changes every few seconds;
//   3. stream the video FILE through the model (decoder → resize/normalize as in training → one frame per push) and print
//      the running top-3 once per second of video.
// Run: dotnet run --project examples/MoViNetStreaming -c Release -- [video] [--model model.zip] [--out DIR]
//      [--epochs N] [--videos-per-class N] [--seconds N]
using MoViNetStreaming;

var arguments = Arguments.Parse(args);
Directory.CreateDirectory(arguments.Output);

string modelPath = arguments.Model ?? Path.Combine(arguments.Output, "movinet-stream.zip");
if (arguments.Model is null)
{
    var settings = new MoViNetStreamingModel.TrainingSettings
    {
        Epochs = arguments.Epochs,
        VideosPerClass = arguments.VideosPerClass,
        OnEpoch = m => Console.WriteLine($"  epoch {m.Epoch,2}/{m.Epochs}  loss {m.TrainLoss:F3}  accuracy {m.TrainAccuracy:P0}"),
    };
    Console.WriteLine($"Training a stream MoViNet-A0 (width ×{settings.WidthMultiplier}, {settings.FramesPerClip}×{settings.FrameSize}², {settings.Epochs} epochs) on the sample set ...");
    MoViNetStreamingModel.TrainAndSave(Path.Combine(arguments.Output, "sample-data"), modelPath, settings);
    Console.WriteLine($"Saved {modelPath}");
}
MoViNetStreamingModel.ModelPath = modelPath;

string video = arguments.Video ?? SampleVideos.WriteChangingMotion(Path.Combine(arguments.Output, "changing-motion.mp4"), arguments.Seconds);
Console.WriteLine($"Streaming {video} (running prediction over everything seen so far):");
foreach (var second in MoViNetStreamingModel.StreamVideo(video))
    Console.WriteLine($"t = {second.Second,3} s  top-3: {string.Join(", ", second.Top.Select(t => $"{t.Label} {t.Probability:F3}"))}");
return 0;

internal sealed record Arguments(string? Video, string? Model, string Output, int Epochs, int VideosPerClass, int Seconds)
{
    public static Arguments Parse(string[] args)
    {
        string[] options = ["--model", "--out", "--epochs", "--videos-per-class", "--seconds"];
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        string? video = args.Where((a, i) => !a.StartsWith("--", StringComparison.Ordinal) && (i == 0 || !options.Contains(args[i - 1]))).FirstOrDefault();
        return new Arguments(
            video is null ? null : Path.GetFullPath(video),
            Value("--model") is { } model ? Path.GetFullPath(model) : null,
            Path.GetFullPath(Value("--out") ?? "out/movinet-streaming"),
            int.Parse(Value("--epochs") ?? "15", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--videos-per-class") ?? "24", System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(Value("--seconds") ?? "12", System.Globalization.CultureInfo.InvariantCulture));
    }
}
