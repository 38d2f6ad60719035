namespace MLNetVideo.Transforms.Decoding;

/// <summary>How frame indices are chosen from a video (the vocabulary of mmaction2's <c>SampleFrames</c>).</summary>
public enum SamplingMode
{
    /// <summary>TSN-style: the video is cut into <c>FramesPerClip</c> equal segments and one frame is taken from each
    /// (a random frame of the segment when training, its centre at inference). Covers the whole video.</summary>
    Uniform,
    /// <summary>A dense clip: <c>FramesPerClip</c> frames, <c>FrameInterval</c> apart.</summary>
    Dense,
    /// <summary>Every frame, up to <c>FramesPerClip</c> of them (for full-video methods). Longer videos are
    /// subsampled evenly; shorter ones are padded by the out-of-bounds policy.</summary>
    All,
}
