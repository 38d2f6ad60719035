namespace MLNetVideo.Trainers.MoViNet;

/// <summary>Settings of <see cref="MoViNetStreaming.StreamVideoFile"/>.</summary>
public sealed class MoViNetVideoFileOptions
{
    /// <summary>The input format; <see langword="null"/> (default) = the stream's <see cref="MoViNetStream.InputFormat"/>
    /// (the model's). Required for a stream opened directly on a <see cref="MoViNetNetwork"/>.</summary>
    public MoViNetFrameFormat? Format { get; set; }

    /// <summary>Frames per push: 1 (default) yields a prediction after every frame; n &gt; 1 pushes n frames at a time and
    /// yields one prediction per push (the last frame's), with less per-call overhead.</summary>
    public int FramesPerPush { get; set; } = 1;

    /// <summary>Longest wait for the probe and for each decoded frame. Default 60 s.</summary>
    public TimeSpan FrameTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest accepted source width or height. Default 8192.</summary>
    public int MaxResolution { get; set; } = 8192;
}
