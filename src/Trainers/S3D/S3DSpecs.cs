namespace MLNetVideo.Trainers.S3D;

/// <summary>The paper's tables (Xie et al., ECCV 2018) and the named configurations.</summary>
public static class S3DSpecs
{
    /// <summary>Number of entries in <c>base</c> (pools included).</summary>
    public const int LayerCount = 16;

    /// <summary>Smallest clip the network accepts: 8 frames of 32×32 (five stride-2 stages in space, three in time).</summary>
    public const int MinFrames = 8;

    /// <summary>Smallest frame side.</summary>
    public const int MinFrameSize = 32;

    /// <summary>Indices in <c>base</c> of the nine Inception blocks (Mixed_3b … Mixed_5c).</summary>
    internal static readonly int[] MixedLayerIndices = [5, 6, 8, 9, 10, 11, 12, 14, 15];

    /// <summary>Inception channel table, Mixed_3b … Mixed_5c (identical for S3D and S3D-G).</summary>
    public static IReadOnlyList<S3DInceptionWidths> InceptionTable { get; } =
    [
        new(64, 96, 128, 16, 32, 32),      // Mixed_3b  192 → 256
        new(128, 128, 192, 32, 96, 64),    // Mixed_3c  256 → 480
        new(192, 96, 208, 16, 48, 64),     // Mixed_4b  480 → 512
        new(160, 112, 224, 24, 64, 64),    // Mixed_4c  512 → 512
        new(128, 128, 256, 24, 64, 64),    // Mixed_4d  512 → 512
        new(112, 144, 288, 32, 64, 64),    // Mixed_4e  512 → 528
        new(256, 160, 320, 32, 128, 128),  // Mixed_4f  528 → 832
        new(256, 160, 320, 32, 128, 128),  // Mixed_5b  832 → 832
        new(384, 192, 384, 48, 128, 128),  // Mixed_5c  832 → 1024
    ];

    /// <summary>The paper's network for <paramref name="numClasses"/> classes, optionally narrowed.</summary>
    /// <param name="variant">S3D or S3D-G.</param>
    /// <param name="numClasses">Output classes.</param>
    /// <param name="widthMultiplier">Channel multiplier (1.0 = paper).</param>
    /// <returns>The validated spec.</returns>
    public static S3DSpec For(S3DVariant variant, int numClasses, double widthMultiplier = 1.0)
    {
        var spec = new S3DSpec { Variant = variant, NumClasses = numClasses, WidthMultiplier = widthMultiplier };
        spec.Validate();
        return spec;
    }
}
