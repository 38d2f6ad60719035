namespace MLNetVideo.Transforms.Decoding;

/// <summary>What a clip does where it would read past the last frame.</summary>
public enum OutOfBoundsPolicy
{
    /// <summary>Wrap around to the first frame (mmaction2's <c>out_of_bound_opt='loop'</c>).</summary>
    Loop,
    /// <summary>Repeat the last frame (mmaction2's <c>'repeat_last'</c>).</summary>
    RepeatLast,
}
