using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.MoViNet;

// Usage: dotnet run --project examples/MoViNetStreaming [-- model.zip]
// Without a model, trains a tiny stream MoViNet-A0 on synthetic "square moving left/right/up/down" clips (8 frames, 32²)
// and saves it to movinet-motion.zip. Then streams a synthetic 12-second video at 5 fps whose motion changes every 4 s,
// one frame per push, and prints the running top-3 once per second of video. To stream a real file, replace Video(...)
// by the decoded frames of a video reader (3×H×W floats in [0, 1] per frame, e.g. MoViNetStreaming.FrameFromRgb24).
const int Size = 32, Fps = 5;
string[] directions = ["down", "left", "right", "up"];   // key order of MapValueToKey (by value)
var mlContext = new MLContext(seed: 1);
ITransformer model;
if (args.Length > 0)
{
    model = mlContext.Model.Load(args[0], out _);
}
else
{
    var rows = Enumerable.Range(0, 96).Select(i => new Row { Label = directions[i % 4], Frames = Clip(i % 4, 8, new Random(i)) }).ToList();
    var schema = SchemaDefinition.Create(typeof(Row));
    schema[nameof(Row.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, 3, 8, Size, Size);
    var data = mlContext.Data.LoadFromEnumerable(rows, schema);
    var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
        .Append(mlContext.MulticlassClassification.Trainers.MoViNet(new MoViNetTrainer.Options
        {
            Variant = MoViNetVariant.A0, Mode = MoViNetMode.Stream, WidthMultiplier = 0.25, ClassifierHiddenChannels = 64,
            Epochs = 15, BatchSize = 8, Optimizer = VideoOptimizer.AdamW, LearningRate = 1e-2, WarmupEpochs = 0.5, DropoutRate = 0, Device = "cpu",
            MetricsCallback = m => Console.WriteLine(m),
        }));
    model = pipeline.Fit(data);
    mlContext.Model.SaveAtomically(model, data.Schema, "movinet-motion.zip");
    Console.WriteLine("Saved movinet-motion.zip");
}

using var stream = model.CreateStream();
var names = directions;
foreach (var prediction in stream.StreamFrames(Video(12 * Fps), Size, Size))
{
    if ((prediction.FrameIndex + 1) % Fps != 0) continue;
    var top = prediction.Top(3).Select(t => $"{names[t.Class]} {t.Probability:P0}");
    Console.WriteLine($"t = {(prediction.FrameIndex + 1) / Fps,2} s  (state {stream.StateElementCount:N0} floats)  top-3: {string.Join(", ", top)}");
}

// A synthetic video: the square moves down, then right, then up (4 s each), wrapping around the frame.
static IEnumerable<float[]> Video(int frames)
{
    int[] plan = [0, 2, 3];
    for (int t = 0; t < frames; t++)
    {
        int direction = plan[Math.Min(plan.Length - 1, t / (4 * Fps))];
        yield return Frame(direction, t % 20, 10);
    }
}

static float[] Clip(int direction, int frames, Random random)
{
    int start = random.Next(4), across = random.Next(Size - 6);
    var clip = new float[3 * frames * Size * Size];
    for (int t = 0; t < frames; t++)
    {
        var frame = Frame(direction, start + (2 * t), across);
        for (int c = 0; c < 3; c++)
            Array.Copy(frame, c * Size * Size, clip, ((c * frames) + t) * Size * Size, Size * Size);
    }
    return clip;
}

static float[] Frame(int direction, int step, int across)
{
    var frame = new float[3 * Size * Size];
    int along = direction is 0 or 2 ? step : Size - 7 - step;   // down/right move forward, left/up backward
    along = ((along % (Size - 6)) + (Size - 6)) % (Size - 6);
    int x = direction is 1 or 2 ? along : across, y = direction is 1 or 2 ? across : along;
    for (int c = 0; c < 3; c++)
        for (int dy = 0; dy < 6; dy++)
            for (int dx = 0; dx < 6; dx++)
                frame[(c * Size * Size) + ((y + dy) * Size) + x + dx] = 1f;
    return frame;
}

internal sealed class Row
{
    public float[] Frames { get; set; } = [];

    public string Label { get; set; } = "";
}
