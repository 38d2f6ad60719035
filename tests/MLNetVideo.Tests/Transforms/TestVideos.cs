using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Transforms;

/// <summary>Tiny generated videos whose pixels are known, and helpers to read clip tensors.</summary>
internal static class TestVideos
{
    public static string NewFolder(string name)
    {
        string folder = Path.Combine(Path.GetTempPath(), "mlnv-" + name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }

    public static void DeleteFolder(string? folder)
    {
        if (folder is not null && Directory.Exists(folder))
            Directory.Delete(folder, recursive: true);
    }

    /// <summary>Frames of one solid colour.</summary>
    public static List<byte[]> Solid(int frames, int width, int height, byte r, byte g, byte b)
        => Enumerable.Range(0, frames).Select(_ =>
        {
            var f = new byte[width * height * 3];
            for (int i = 0; i < f.Length; i += 3) { f[i] = r; f[i + 1] = g; f[i + 2] = b; }
            return f;
        }).ToList();

    /// <summary>Grey frames whose level encodes the frame index: level = index × step.</summary>
    public static List<byte[]> Ramp(int frames, int size, int step)
        => Enumerable.Range(0, frames).Select(i =>
        {
            var f = new byte[size * size * 3];
            Array.Fill(f, (byte)Math.Min(255, i * step));
            return f;
        }).ToList();

    /// <summary>Writes a ramp video and returns its path.</summary>
    public static string WriteRamp(string folder, string name, int frames, int step, SyntheticVideoFormat format = SyntheticVideoFormat.Mp4H264, int size = 32)
    {
        string path = Path.Combine(folder, name + SyntheticActionVideos.Extension(format));
        SyntheticActionVideos.Encode(path, Ramp(frames, size, step), size, size, 25, format);
        return path;
    }

    /// <summary>Reads the clip column of every row.</summary>
    public static List<float[]> ReadClips(IDataView data, string column = "Frames")
    {
        var result = new List<float[]>();
        var col = data.Schema[column];
        using var cursor = data.GetRowCursor([col]);
        var getter = cursor.GetGetter<VBuffer<float>>(col);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            result.Add(value.DenseValues().ToArray());
        }
        return result;
    }

    public static IDataView Paths(MLContext mlContext, params string[] paths)
        => mlContext.Data.LoadFromEnumerable(paths.Select(p => new PathRow { VideoPath = p }));

    /// <summary>Mean of one channel of frame t of a [T,3,H,W] clip (view 0).</summary>
    public static double FrameMean(float[] clip, int t, int channel, int size, int viewOffset = 0)
    {
        int plane = size * size;
        return clip.AsSpan(viewOffset + (t * 3 + channel) * plane, plane).ToArray().Average();
    }

    /// <summary>Number of ffmpeg/ffprobe processes whose parent is this process (Linux /proc).</summary>
    public static int ChildDecoders()
    {
        int self = Environment.ProcessId, count = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int close = stat.LastIndexOf(')');
                string comm = stat[(stat.IndexOf('(') + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                if (int.Parse(fields[1]) == self && comm is "ffmpeg" or "ffprobe")
                    count++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
            }
        }
        return count;
    }

    public sealed class PathRow
    {
        public string VideoPath { get; set; } = "";
    }
}
