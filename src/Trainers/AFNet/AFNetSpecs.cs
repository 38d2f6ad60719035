namespace MLNetVideo.Trainers.AFNet;

/// <summary>Named AFNet configurations.</summary>
public static class AFNetSpecs
{
    /// <summary>Smallest frame side the network accepts (five stride-2 steps on the focal path).</summary>
    public const int MinFrameSize = 32;

    /// <summary>The reference AF-ResNet (alpha 2, patch groups 2, TSM shift 1/8) for <paramref name="frames"/> frames.</summary>
    /// <param name="depth">Backbone depth.</param>
    /// <param name="numClasses">Output classes.</param>
    /// <param name="frames">Frames per clip (12 in the paper's main setting).</param>
    /// <param name="widthMultiplier">Channel multiplier (1.0 = reference).</param>
    /// <returns>The validated spec.</returns>
    public static AFNetSpec For(AFNetDepth depth, int numClasses, int frames, double widthMultiplier = 1.0)
    {
        var spec = new AFNetSpec { Depth = depth, NumClasses = numClasses, Frames = frames, WidthMultiplier = widthMultiplier };
        spec.Validate();
        return spec;
    }
}
