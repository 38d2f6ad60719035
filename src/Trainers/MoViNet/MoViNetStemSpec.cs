namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The stem: full 1×3×3 conv, stride (1,2,2), BN, activation.</summary>
/// <param name="OutChannels">Output channels.</param>
public sealed record MoViNetStemSpec(int OutChannels)
{
    /// <summary>Stem kernel.</summary>
    public static Triple Kernel => Triple.K133;

    /// <summary>Stem stride.</summary>
    public static Triple Stride => Triple.S122;
}
