namespace MLNetVideo;

/// <summary>Order of the dimensions of one clip in a clip column (LoadVideoFrames writes it; the trainers and featurizers
/// read it from the column's annotation).</summary>
public enum ClipLayout
{
    /// <summary>[frames, channels, height, width]: for 2D backbones (TSN, TSM) and ViTs (CLIP, EVL).</summary>
    Tchw,
    /// <summary>[channels, frames, height, width]: for 3D backbones (S3D, MoViNet, X3D).</summary>
    Cthw,
}
