using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli.Commands;

/// <summary>
/// <c>mlnetvideo stream</c>: pushes a video file frame by frame through a stream-mode MoViNet (constant memory) and
/// prints the running top-k, through the model's own frame format (<c>StreamVideoFile</c>).
/// </summary>
internal static class StreamCommand
{
    public static Command Create(CliOutput io)
    {
        var model = CommonOptions.Model("A stream-mode MoViNet model zip (mlnetvideo train --model movinet-a0).");
        var video = new Option<string>("--video", "-v") { Description = "The video file to stream.", Required = true };
        var every = new Option<int?>("--every") { Description = "Print every N frames (default: once per second of video)." };
        var top = new Option<int>("--top") { Description = "How many classes to print.", DefaultValueFactory = _ => 3 };
        var weightsFolder = CommonOptions.WeightsFolder();
        var command = new Command("stream", "Classify a video frame by frame with a streaming MoViNet and print the running top-k.") { model, video, every, top, weightsFolder };
        command.SetAction(parse =>
        {
            string path = Path.GetFullPath(parse.GetValue(video)!);
            if (!File.Exists(path)) throw new CliException($"--video: the file '{path}' does not exist.");
            int k = parse.GetValue(top);
            if (k < 1) throw new CliException("--top must be at least 1.");
            var mlContext = new MLContext(seed: 1);
            var loaded = VideoData.LoadModel(mlContext, parse.GetValue(model)!, parse.GetValue(weightsFolder), out _);
            VideoClassifierTransformer<MoViNetSpec> movinet;
            try
            {
                movinet = loaded.FindMoViNet();
            }
            catch (ArgumentException e)
            {
                throw new CliException("--model: the model contains no MoViNet; `stream` needs one trained with --model movinet-a0.", e);
            }
            var names = movinet.Info.ClassNames ?? Enumerable.Range(0, movinet.Info.NumClasses).Select(i => $"class {i}").ToArray();
            if (!movinet.CanStream)
                throw new CliException("--model: this MoViNet was trained in base (non-causal) mode and cannot stream; train a stream-mode model (--model movinet-a0).");
            int? interval = parse.GetValue(every);
            if (interval < 1) throw new CliException("--every must be at least 1.");
            // The model-level session knows the LoadVideoFrames step it was trained with, so StreamVideoFile resizes and
            // normalizes every frame exactly as in training.
            using var stream = loaded.CreateStream();
            io.Out.WriteLine($"Streaming {path} through the {names.Length}-class MoViNet ({stream.InputFormat?.Width}×{stream.InputFormat?.Height} input, {stream.StateElementCount:N0} state floats)");
            MoViNetStreamPrediction? last = null;
            long printedSecond = -1;
            bool lastPrinted = false;
            try
            {
                foreach (var prediction in stream.StreamVideoFile(path))
                {
                    last = prediction;
                    lastPrinted = false;
                    long frame = prediction.FrameIndex + 1;
                    bool due = interval is int n
                        ? frame % n == 0
                        : prediction.Time is TimeSpan time ? (long)time.TotalSeconds > printedSecond : frame % 25 == 0;
                    if (!due) continue;
                    printedSecond = prediction.Time is TimeSpan t ? (long)t.TotalSeconds : printedSecond;
                    io.Out.WriteLine(Line(prediction, names, k));
                    lastPrinted = true;
                }
            }
            catch (VideoDecodingException e)
            {
                throw new CliException($"--video: {e.Message}", e);
            }
            if (last is null) throw new CliException($"--video: '{path}' has no frames.");
            if (!lastPrinted) io.Out.WriteLine(Line(last, names, k));
            return CliApp.Success;
        });
        return command;
    }

    private static string Line(MoViNetStreamPrediction prediction, IReadOnlyList<string> names, int k)
    {
        var best = prediction.Top(k).Select(t => string.Create(CultureInfo.InvariantCulture, $"{(t.Class < names.Count ? names[t.Class] : $"class {t.Class}")} {t.Probability:P0}"));
        string time = prediction.Time is TimeSpan at ? string.Create(CultureInfo.InvariantCulture, $"{at.TotalSeconds,6:F2} s") : "     ? s";
        return string.Create(CultureInfo.InvariantCulture, $"  frame {prediction.FrameIndex + 1,5}  t = {time}  top-{k}: {string.Join(", ", best)}");
    }
}
