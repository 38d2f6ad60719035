using MLNetVideo.Determinism;

namespace MLNetVideo.Transforms.SampleData;

/// <summary>
/// Decoded-clip versions of generated sets, for trainer experiments and tests that must not spend their time in ffmpeg:
/// <list type="bullet">
/// <item><see cref="SampleSet"/>: the CLI's built-in sample set (<c>mlnetvideo sample-data</c>: left/right/up/down, 16 frames
/// of 48², <see cref="SyntheticActionVideos"/>' renderer) as <c>train</c> feeds it to a model: 8 uniformly sampled frames,
/// resized to 32² (box filter), ImageNet-normalised.</item>
/// <item><see cref="TwoLegSet"/>: a harder set where only part of each clip carries the action: a square rests, moves along one
/// leg, turns, moves along a second leg and rests again, inside a longer clip. Eight classes: horizontal-then-vertical or
/// vertical-then-horizontal, each with two signs per leg, so both the legs and their order matter; the idle frames (about
/// half the clip) carry nothing, so a model that skips them loses nothing.</item>
/// </list>
/// </summary>
internal static class SyntheticClipSets
{
    private static readonly float[] s_mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] s_std = [0.229f, 0.224f, 0.225f];

    /// <summary>Class names of <see cref="SampleSet"/>.</summary>
    public static readonly string[] SampleClasses = ["left", "right", "up", "down"];

    /// <summary>Class names of <see cref="TwoLegSet"/> (first leg, then second).</summary>
    public static readonly string[] TwoLegClasses =
        ["right-up", "right-down", "left-up", "left-down", "up-right", "up-left", "down-right", "down-left"];

    /// <summary>The sample set's actions rendered at <paramref name="sourceSize"/>² × <paramref name="sourceFrames"/> (the CLI
    /// defaults 48 and 16), then <paramref name="frames"/> frames sampled at the segment centres and box-resized to
    /// <paramref name="size"/>².</summary>
    public static List<SyntheticClip> SampleSet(int videosPerClass, int seed, int frames = 8, int size = 32, int sourceFrames = 16, int sourceSize = 48)
    {
        var options = new SyntheticActionOptions { Frames = sourceFrames, Size = sourceSize, Seed = seed };
        SyntheticAction[] actions = [SyntheticAction.Left, SyntheticAction.Right, SyntheticAction.Up, SyntheticAction.Down];
        var clips = new List<SyntheticClip>();
        for (int n = 0; n < videosPerClass; n++)
        {
            for (int c = 0; c < actions.Length; c++)
            {
                var random = Seeding.CreateRandom(seed, RandomStream.Model, (n * 16) + c);
                var rendered = SyntheticActionVideos.Render(actions[c], options, random);
                var clip = new float[3 * frames * size * size];
                for (int t = 0; t < frames; t++)
                {
                    int source = (int)((t + 0.5) * sourceFrames / frames);
                    ResizeInto(rendered[source], sourceSize, clip, t, frames, size);
                }
                clips.Add(new SyntheticClip(clip, c));
            }
        }
        return clips;
    }

    /// <summary>The two-leg set: <paramref name="frames"/> frames of <paramref name="size"/>², the motion (two legs of
    /// <paramref name="frames"/>/4 frames each, 2 px per frame) starting at a random frame, still frames before and after,
    /// Gaussian pixel noise.</summary>
    public static List<SyntheticClip> TwoLegSet(int videosPerClass, int seed, int frames = 16, int size = 32, float noise = 0.1f)
    {
        var random = new Random(seed);
        var clips = new List<SyntheticClip>();
        int leg = Math.Max(1, frames / 4);
        const int square = 5, speed = 2;
        for (int n = 0; n < videosPerClass; n++)
        {
            for (int c = 0; c < TwoLegClasses.Length; c++)
            {
                var parts = TwoLegClasses[c].Split('-');
                var (dx1, dy1) = Step(parts[0]);
                var (dx2, dy2) = Step(parts[1]);
                int start = random.Next(frames - (2 * leg) + 1);
                // Start where both legs stay inside the frame.
                int travelX = speed * leg * (dx1 + dx2), travelY = speed * leg * (dy1 + dy2);
                int x0 = Place(random, size - square, travelX), y0 = Place(random, size - square, travelY);
                var clip = new float[3 * frames * size * size];
                for (int t = 0; t < frames; t++)
                {
                    int moved = Math.Clamp(t - start, 0, 2 * leg);
                    int first = Math.Min(moved, leg), second = moved - first;
                    int x = x0 + (speed * ((dx1 * first) + (dx2 * second)));
                    int y = y0 + (speed * ((dy1 * first) + (dy2 * second)));
                    for (int ch = 0; ch < 3; ch++)
                    {
                        var plane = clip.AsSpan(((ch * frames) + t) * size * size, size * size);
                        for (int p = 0; p < plane.Length; p++)
                            plane[p] = noise * (float)Gaussian(random);
                        for (int yy = 0; yy < square; yy++)
                            for (int xx = 0; xx < square; xx++)
                                plane[((y + yy) * size) + x + xx] += 2f;
                    }
                }
                clips.Add(new SyntheticClip(clip, c));
            }
        }
        return clips;
    }

    private static (int X, int Y) Step(string direction) => direction switch
    {
        "left" => (-1, 0),
        "right" => (1, 0),
        "up" => (0, -1),
        _ => (0, 1),
    };

    // A start coordinate in [0, room] such that start + travel also lies in [0, room].
    private static int Place(Random random, int room, int travel)
        => travel >= 0 ? random.Next(Math.Max(1, room - travel + 1)) : -travel + random.Next(Math.Max(1, room + travel + 1));

    private static double Gaussian(Random random)
        => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    // Box-filter resize of one RGB24 frame (source² → size²) into frame t of a [3, T, size, size] clip, ImageNet-normalised.
    private static void ResizeInto(byte[] rgb, int source, float[] clip, int t, int frames, int size)
    {
        double scale = (double)source / size;
        for (int y = 0; y < size; y++)
        {
            int y0 = (int)(y * scale), y1 = Math.Max(y0 + 1, (int)((y + 1) * scale));
            for (int x = 0; x < size; x++)
            {
                int x0 = (int)(x * scale), x1 = Math.Max(x0 + 1, (int)((x + 1) * scale));
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int sy = y0; sy < y1; sy++)
                        for (int sx = x0; sx < x1; sx++)
                            sum += rgb[(((sy * source) + sx) * 3) + c];
                    float value = (float)(sum / ((y1 - y0) * (x1 - x0)) / 255.0);
                    clip[((((c * frames) + t) * size) + y) * size + x] = (value - s_mean[c]) / s_std[c];
                }
            }
        }
    }
}
