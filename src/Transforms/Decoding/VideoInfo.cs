namespace MLNetVideo.Transforms.Decoding;

/// <summary>What the decoder learned about a video before decoding it.</summary>
public sealed class VideoInfo
{
    internal VideoInfo(string path, int width, int height, int frameCount, double framesPerSecond, string codec, IReadOnlyList<string>? framePaths)
    {
        Path = path;
        Width = width;
        Height = height;
        FrameCount = frameCount;
        FramesPerSecond = framesPerSecond;
        Codec = codec;
        FramePaths = framePaths;
    }

    /// <summary>Full path of the file or frame folder.</summary>
    public string Path { get; }

    /// <summary>Frame width in pixels.</summary>
    public int Width { get; }

    /// <summary>Frame height in pixels.</summary>
    public int Height { get; }

    /// <summary>Number of frames (from the container, counted when the container does not say).</summary>
    public int FrameCount { get; }

    /// <summary>Frame rate (frames per second); 30 for frame folders, which have none.</summary>
    public double FramesPerSecond { get; }

    /// <summary>The codec name reported by ffprobe ("h264", "vp9", "mjpeg", …); "frames" for a frame folder.</summary>
    public string Codec { get; }

    /// <summary>True when the source is a folder of frame images.</summary>
    public bool IsFrameFolder => FramePaths is not null;

    /// <summary>For a frame folder: the image files in frame order (numeric order of the digits in their names).</summary>
    public IReadOnlyList<string>? FramePaths { get; }
}
