namespace MLNetVideo.Trainers.Tsm;

/// <summary>Named TSM configurations.</summary>
public static class TsmSpecs
{
    /// <summary>Smallest frame side the network accepts (five stride-2 steps).</summary>
    public const int MinFrameSize = 32;

    /// <summary>The TSM reference network (ResNet-50, shift 1/8 each way, blockres) for <paramref name="numClasses"/> classes.</summary>
    /// <param name="depth">Backbone depth.</param>
    /// <param name="numClasses">Output classes.</param>
    /// <param name="widthMultiplier">Channel multiplier (1.0 = torchvision).</param>
    /// <returns>The validated spec.</returns>
    public static TsmSpec For(TsmDepth depth, int numClasses, double widthMultiplier = 1.0)
    {
        var spec = new TsmSpec { Depth = depth, NumClasses = numClasses, WidthMultiplier = widthMultiplier };
        spec.Validate();
        return spec;
    }
}
