using MLNetVideo.Weights;

namespace MLNetVideo.Trainers.S3D;

/// <summary>The published S3D checkpoint (kylemin/S3D, <c>S3D_kinetics400.pt</c>) and how it maps onto <see cref="S3DNetwork"/>.</summary>
/// <remarks>A legacy (pre-1.6) <c>torch.save</c> of the state dict, keys as <see cref="S3DNetwork"/>'s (<c>base.{i}.…</c>,
/// <c>fc.0.*</c>), possibly behind the DataParallel <c>module.</c> prefix that the official loader strips. Kinetics-400,
/// 400 classes; clips [N, 3, T, 224, 224] with RGB scaled to [-1, 1] (x·2/255 − 1).</remarks>
public static class S3DWeights
{
    /// <summary>kylemin/S3D's <c>S3D_kinetics400.pt</c>.</summary>
    public static CheckpointLayout Official { get; } =
        new("S3D (kylemin/S3D)", null, KeyMapping.StripPrefix("module."), "base.0.conv_s.weight");
}
