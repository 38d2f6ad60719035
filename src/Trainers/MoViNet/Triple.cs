namespace MLNetVideo.Trainers.MoViNet;

/// <summary>A kernel or stride over (time, height, width).</summary>
/// <param name="T">Time.</param>
/// <param name="H">Height.</param>
/// <param name="W">Width.</param>
public readonly record struct Triple(int T, int H, int W)
{
    /// <summary>1×1×1.</summary>
    public static Triple One => new(1, 1, 1);

    /// <summary>1×3×3 (the stem kernel).</summary>
    public static Triple K133 => new(1, 3, 3);

    /// <summary>1×5×5.</summary>
    public static Triple K155 => new(1, 5, 5);

    /// <summary>3×3×3.</summary>
    public static Triple K333 => new(3, 3, 3);

    /// <summary>5×3×3.</summary>
    public static Triple K533 => new(5, 3, 3);

    /// <summary>Spatial stride 2, temporal stride 1 (MoViNets never stride in time).</summary>
    public static Triple S122 => new(1, 2, 2);

    /// <summary>As a long array (for TorchSharp).</summary>
    /// <returns>[T, H, W].</returns>
    public long[] ToArray() => [T, H, W];
}
