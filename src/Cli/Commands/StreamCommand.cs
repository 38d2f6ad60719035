using System.CommandLine;
using System.Globalization;
using Microsoft.ML;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Cli.Commands;

/// <summary>
/// <c>mlnetvideo stream</c>: pushes a video file frame by frame through a stream-mode MoViNet (constant memory) and
/// prints the running top-k. Uses MoViNetStreaming.CreateStream + VideoFrameReader.
/// </summary>
internal static class StreamCommand
{
    public static Command Create(CliOutput io)
    {
        var model = CommonOptions.Model("A stream-mode MoViNet model zip (mlnetvideo train --model movinet-a0).");
        var video = new Option<string>("--video", "-v") { Description = "The video file to stream.", Required = true };
        var every = new Option<int?>("--every") { Description = "Print every N frames (default: once per second of video)." };
        var top = new Option<int>("--top") { Description = "How many classes to print.", DefaultValueFactory = _ => 3 };
        var command = new Command("stream", "Classify a video frame by frame with a streaming MoViNet and print the running top-k.") { model, video, every, top };
        command.SetAction(parse =>
        {
            string path = Path.GetFullPath(parse.GetValue(video)!);
            if (!File.Exists(path)) throw new CliException($"--video: the file '{path}' does not exist.");
            int k = parse.GetValue(top);
            if (k < 1) throw new CliException("--top must be at least 1.");
            var mlContext = new MLContext(seed: 1);
            var loaded = VideoData.LoadModel(mlContext, parse.GetValue(model)!, out _);
            MoViNetTransformer movinet;
            try
            {
                movinet = loaded.FindMoViNet();
            }
            catch (ArgumentException e)
            {
                throw new CliException("--model: the model contains no MoViNet; `stream` needs one trained with --model movinet-a0.", e);
            }
            int height = movinet.Info.Clip.Height, width = movinet.Info.Clip.Width;
            var names = movinet.Info.ClassNames ?? Enumerable.Range(0, movinet.Info.NumClasses).Select(i => $"class {i}").ToArray();
            if (!movinet.CanStream)
                throw new CliException("--model: this MoViNet was trained in base (non-causal) mode and cannot stream; train a stream-mode model (--model movinet-a0).");
            using (var stream = movinet.CreateStream())
            using (var reader = VideoFrameReader.Open(path, new VideoFrameReader.Options { Width = width, Height = height }))
            {
                double fps = reader.Info.FramesPerSecond > 0 ? reader.Info.FramesPerSecond : 25;
                int interval = parse.GetValue(every) ?? Math.Max(1, (int)Math.Round(fps));
                if (interval < 1) throw new CliException("--every must be at least 1.");
                io.Out.WriteLine($"Streaming {path} ({reader.Width}×{reader.Height} → {width}×{height}, {fps:F1} fps) through {names.Length}-class MoViNet, {stream.StateElementCount:N0} state floats");
                float[]? last = null;
                int frame = 0;
                while (reader.MoveNext())
                {
                    var logits = stream.Push(MoViNetStreaming.FrameFromRgb24(reader.CurrentFrame, height, width), height, width);
                    last = MoViNetStreaming.Softmax(logits);
                    frame++;
                    if (frame % interval == 0) io.Out.WriteLine(Line(frame, fps, last, names, k));
                }
                if (last is null) throw new CliException($"--video: '{path}' has no frames.");
                if (frame % interval != 0) io.Out.WriteLine(Line(frame, fps, last, names, k));
            }
            return CliApp.Success;
        });
        return command;
    }

    private static string Line(int frame, double fps, float[] probabilities, IReadOnlyList<string> names, int k)
    {
        var best = probabilities.Select((p, i) => (Name: i < names.Count ? names[i] : $"class {i}", P: p)).OrderByDescending(t => t.P).Take(k)
            .Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Name} {t.P:P0}"));
        return string.Create(CultureInfo.InvariantCulture, $"  frame {frame,5}  t = {frame / fps,6:F2} s  top-{k}: {string.Join(", ", best)}");
    }
}
