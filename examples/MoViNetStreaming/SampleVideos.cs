// A sample video for streaming: the motion changes while the video plays.
using MLNetVideo.Transforms.SampleData;

namespace MoViNetStreaming;

/// <summary>Writes the example's streaming input: a square that moves down, right, up and left in turn (4 s each) on a
/// noisy background, at the speed and size of the training videos.</summary>
public static class SampleVideos
{
    /// <summary>Frame side of the sample videos.</summary>
    public const int Size = 48;

    /// <summary>Frame rate of the sample videos.</summary>
    public const double FramesPerSecond = 5;

    /// <summary>The directions in playing order, one per 4 seconds.</summary>
    public static readonly string[] Plan = ["down", "right", "up", "left"];

    /// <summary>Encodes the video as H.264 mp4.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="seconds">Length in seconds.</param>
    /// <returns><paramref name="path"/>.</returns>
    public static string WriteChangingMotion(string path, int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        const int half = 4, phaseFrames = (int)(4 * FramesPerSecond);
        const double step = 1.4;   // pixels per frame, as in the training videos (~40 % of the frame over 15 frames)
        var random = new Random(5);
        var frames = new List<byte[]>();
        double x = 12, y = 8;
        for (int f = 0; f < seconds * FramesPerSecond; f++)
        {
            switch (Plan[f / phaseFrames % Plan.Length])
            {
                case "down": y += step; break;
                case "right": x += step; break;
                case "up": y -= step; break;
                default: x -= step; break;
            }
            var frame = new byte[Size * Size * 3];
            for (int py = 0; py < Size; py++)
                for (int px = 0; px < Size; px++)
                {
                    int o = ((py * Size) + px) * 3;
                    bool inside = Math.Abs(px + 0.5 - x) <= half && Math.Abs(py + 0.5 - y) <= half;
                    if (inside)
                    {
                        frame[o] = 240; frame[o + 1] = 200; frame[o + 2] = 40;
                    }
                    else
                    {
                        byte v = (byte)random.Next(26);
                        frame[o] = v; frame[o + 1] = v; frame[o + 2] = v;
                    }
                }
            frames.Add(frame);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        SyntheticActionVideos.Encode(path, frames, Size, Size, FramesPerSecond);
        return path;
    }
}
