namespace MLNetVideo.Transforms.SampleData;

/// <summary>Container and codec of generated videos.</summary>
public enum SyntheticVideoFormat
{
    /// <summary>MP4 with H.264 (yuv420p). Default.</summary>
    Mp4H264,
    /// <summary>WebM with VP9.</summary>
    WebmVp9,
    /// <summary>AVI with Motion JPEG.</summary>
    AviMjpeg,
    /// <summary>Matroska with H.264.</summary>
    MkvH264,
    /// <summary>A folder of JPEG frames 0.jpg, 1.jpg, … (the "rawframes" layout).</summary>
    JpgFrames,
    /// <summary>A folder of PNG frames 0.png, 1.png, … (lossless).</summary>
    PngFrames,
}
