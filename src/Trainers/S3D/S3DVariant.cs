namespace MLNetVideo.Trainers.S3D;

/// <summary>The two networks of "Rethinking Spatiotemporal Feature Learning" (Xie et al., ECCV 2018, arXiv:1712.04851).</summary>
public enum S3DVariant
{
    /// <summary>S3D: Inception-v1 with every 3-D conv split into a 1×k×k spatial and a k×1×1 temporal conv.</summary>
    S3D = 0,

    /// <summary>S3D-G: S3D plus feature self-gating after Conv2d_2c_3x3 and after every Inception branch.</summary>
    S3DG = 1,
}
