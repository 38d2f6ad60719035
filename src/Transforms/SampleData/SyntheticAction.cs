namespace MLNetVideo.Transforms.SampleData;

/// <summary>The actions of the synthetic set. Each is defined by motion over time, so a model that ignores frame order
/// cannot tell left from right, clockwise from anticlockwise or growing from shrinking.</summary>
public enum SyntheticAction
{
    /// <summary>A shape moves to the left.</summary>
    Left,
    /// <summary>A shape moves to the right.</summary>
    Right,
    /// <summary>A shape moves up.</summary>
    Up,
    /// <summary>A shape moves down.</summary>
    Down,
    /// <summary>A shape circles clockwise (on screen, y pointing down).</summary>
    Clockwise,
    /// <summary>A shape circles anticlockwise.</summary>
    Anticlockwise,
    /// <summary>A shape grows.</summary>
    Growing,
    /// <summary>A shape shrinks.</summary>
    Shrinking,
}
