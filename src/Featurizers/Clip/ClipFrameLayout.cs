namespace MLNetVideo.Featurizers.Clip;

/// <summary>Order of one clip's dimensions in the featurizer's input column.</summary>
public enum ClipFrameLayout
{
    /// <summary>[T, 3, H, W] (what <c>LoadVideoFrames</c> writes).</summary>
    Tchw,

    /// <summary>[3, T, H, W].</summary>
    Cthw,
}
