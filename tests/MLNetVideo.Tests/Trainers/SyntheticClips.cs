using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Tests.Trainers;

/// <summary>
/// In-memory clip sets for trainer tests: a bright square moving left/right/up/down over T frames (random start, random
/// speed 1–2 px per frame, Gaussian noise), laid out [C, T, H, W] (or [K, C, T, H, W] for K views).
/// </summary>
internal static class SyntheticClips
{
    public static readonly string[] Directions = ["left", "right", "up", "down"];

    /// <summary>Motion clips; <paramref name="shuffleFrames"/> permutes the frames of every clip (destroys direction).</summary>
    public static List<ClipRow> Motion(int count, int seed, int frames = 8, int size = 32, int views = 1, bool shuffleFrames = false, float noise = 0.1f)
    {
        var random = new Random(seed);
        var rows = new List<ClipRow>();
        int viewSize = 3 * frames * size * size;
        for (int i = 0; i < count; i++)
        {
            int direction = i % Directions.Length;
            var data = new float[views * viewSize];
            for (int v = 0; v < views; v++)
                DrawMotion(data.AsSpan(v * viewSize, viewSize), direction, random, frames, size, shuffleFrames, noise);
            rows.Add(new ClipRow { Frames = data, Label = Directions[direction] });
        }
        return rows;
    }

    private static void DrawMotion(Span<float> clip, int direction, Random random, int frames, int size, bool shuffleFrames, float noise)
    {
        const int square = 6;
        int speed = 1 + random.Next(2);
        int travel = speed * (frames - 1);
        int span = size - square - travel;
        int along = random.Next(Math.Max(1, span));
        int across = random.Next(size - square);
        var order = Enumerable.Range(0, frames).ToArray();
        if (shuffleFrames)
            random.Shuffle(order);
        for (int t = 0; t < frames; t++)
        {
            int step = order[t] * speed;
            int x, y;
            switch (direction)
            {
                case 0: x = along + travel - step; y = across; break;   // left
                case 1: x = along + step; y = across; break;            // right
                case 2: x = across; y = along + travel - step; break;   // up
                default: x = across; y = along + step; break;           // down
            }
            for (int c = 0; c < 3; c++)
            {
                var plane = clip.Slice(((c * frames) + t) * size * size, size * size);
                for (int p = 0; p < plane.Length; p++)
                    plane[p] = noise * (float)NextGaussian(random);
                for (int dy = 0; dy < square; dy++)
                    for (int dx = 0; dx < square; dx++)
                        plane[((y + dy) * size) + x + dx] += 1f;
            }
        }
    }

    private static double NextGaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Loads rows as a data view with Frames = Vector&lt;Single, [K,] 3, T, H, W&gt; and Label = Text.</summary>
    public static IDataView Load(MLContext mlContext, IEnumerable<ClipRow> rows, int frames = 8, int size = 32, int views = 1)
        => mlContext.Data.LoadFromEnumerable(rows, Definition(frames, size, views));

    public static SchemaDefinition Definition(int frames = 8, int size = 32, int views = 1)
    {
        var definition = SchemaDefinition.Create(typeof(ClipRow));
        definition[nameof(ClipRow.Frames)].ColumnType = views == 1
            ? new VectorDataViewType(NumberDataViewType.Single, 3, frames, size, size)
            : new VectorDataViewType(NumberDataViewType.Single, views, 3, frames, size, size);
        return definition;
    }

    /// <summary>Loads the rows and maps Label to a key (values sorted, so keys are stable).</summary>
    public static IDataView LoadKeyed(MLContext mlContext, IEnumerable<ClipRow> rows, int frames = 8, int size = 32, int views = 1)
    {
        var data = Load(mlContext, rows, frames, size, views);
        return mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(data).Transform(data);
    }
}
