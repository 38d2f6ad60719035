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

/// <summary>Where a dense clip starts.</summary>
public enum ClipStart
{
    /// <summary>Random start when training, centred at inference.</summary>
    Auto,
    /// <summary>At the first frame.</summary>
    Start,
    /// <summary>Centred in the video.</summary>
    Centre,
    /// <summary>At a random position (seeded), also at inference.</summary>
    Random,
}

/// <summary>What a clip does where it would read past the last frame.</summary>
public enum OutOfBoundsPolicy
{
    /// <summary>Wrap around to the first frame (mmaction2's <c>out_of_bound_opt='loop'</c>).</summary>
    Loop,
    /// <summary>Repeat the last frame (mmaction2's <c>'repeat_last'</c>).</summary>
    RepeatLast,
}

/// <summary>Whether the transform applies training-time randomness.</summary>
public enum VideoLoadingMode
{
    /// <summary>Deterministic: centred segments and clips, centre crops, no flips.</summary>
    Inference,
    /// <summary>Seeded randomness: random segment offsets and clip starts, random crops, optional flips.</summary>
    Training,
}
