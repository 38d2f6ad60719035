using MLNetVideo.Trainers.S3D.Modules;
using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.S3D;

/// <summary>
/// S3D / S3D-G network (Xie et al., "Rethinking Spatiotemporal Feature Learning", arXiv:1712.04851): maps clips
/// [N, 3, T, H, W] to class logits [N, classes]. State-dict names follow kylemin/S3D (<c>base.{i}.…</c>, <c>fc.0.*</c>), so
/// its Kinetics-400 checkpoint imports by name; S3D-G gates are named as in the HowTo100M port (<c>gating</c>, <c>gating_b0..3</c>).
/// </summary>
/// <remarks>
/// Head: average over the full remaining H×W and a temporal window of 2 (stride 1; the reference's AvgPool3d (2,7,7) at
/// 224² input, adapted to any input size), dropout, the 1×1×1 conv <c>fc.0</c>, then the mean over the remaining time steps.
/// Inputs must be at least <see cref="S3DSpecs.MinFrames"/> frames of <see cref="S3DSpecs.MinFrameSize"/>².
/// </remarks>
internal sealed class S3DNetwork : Module<Tensor, Tensor>
{
    [ComponentName(Name = "base")]
    private readonly Sequential features;
    private readonly Sequential fc;
    private readonly double _dropout;

    /// <summary>Builds the network on the CPU with PyTorch's default initialisation.</summary>
    /// <param name="spec">The architecture.</param>
    public S3DNetwork(S3DSpec spec) : base(nameof(S3DNetwork))
    {
        ArgumentNullException.ThrowIfNull(spec);
        spec.Validate();
        Spec = spec;
        _dropout = spec.DropoutRate;
        var bn = spec.BatchNorm;
        bool gated = spec.Variant == S3DVariant.S3DG;
        var (c1a, c2b, c2c, blocks) = spec.Widths();
        long Kt(int layer, long k) => layer >= spec.TemporalStartLayer ? k : 1;

        var layers = new List<Module<Tensor, Tensor>>
        {
            new SepConv3d(3, c1a, 7, 2, 3, Kt(0, 7), bn, gated: false),                                           // 0 Conv2d_1a_7x7
            MaxPool3d(kernel_size: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]),                              // 1 MaxPool_2a_3x3
            new BasicConv3d(c1a, c2b, 1, bn),                                                                      // 2 Conv2d_2b_1x1
            new SepConv3d(c2b, c2c, 3, 1, 1, Kt(3, 3), bn, gated),                                                 // 3 Conv2d_2c_3x3
            MaxPool3d(kernel_size: [1, 3, 3], stride: [1, 2, 2], padding: [0, 1, 1]),                              // 4 MaxPool_3a_3x3
        };
        long channels = c2c;
        for (int b = 0; b < blocks.Length; b++)
        {
            int index = S3DSpecs.MixedLayerIndices[b];
            if (index == 7)
                throw new InvalidOperationException("Inception table and layer indices disagree.");
            while (layers.Count < index)
            {
                layers.Add(layers.Count == 7
                    ? MaxPool3d(kernel_size: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1])                     // 7 MaxPool_4a_3x3
                    : MaxPool3d(kernel_size: [2, 2, 2], stride: [2, 2, 2], padding: [0, 0, 0]));                   // 13 MaxPool_5a_2x2
            }
            layers.Add(new MixedBlock(channels, blocks[b], Kt(index, 3), bn, gated));
            channels = blocks[b].Output;
        }
        features = Sequential(layers.ToArray());
        fc = Sequential(Conv3d(channels, spec.NumClasses, 1, stride: 1, bias: true));
        RegisterComponents();
    }

    /// <summary>The architecture this network was built from.</summary>
    public S3DSpec Spec { get; }

    /// <summary>Logits for a batch of clips.</summary>
    /// <param name="clips">[N, 3, T, H, W].</param>
    /// <returns>[N, classes].</returns>
    public override Tensor forward(Tensor clips)
    {
        if (clips.dim() != 5 || clips.shape[2] < S3DSpecs.MinFrames || clips.shape[3] < S3DSpecs.MinFrameSize || clips.shape[4] < S3DSpecs.MinFrameSize)
            throw new ArgumentException(
                $"S3D expects clips [N, 3, T, H, W] with T >= {S3DSpecs.MinFrames} and H, W >= {S3DSpecs.MinFrameSize}; got [{string.Join(", ", clips.shape)}].",
                nameof(clips));
        using var scope = NewDisposeScope();
        var y = features.call(clips);
        long t = Math.Min(2, y.shape[2]);
        y = functional.avg_pool3d(y, [t, y.shape[3], y.shape[4]], stride: [1, 1, 1]);
        if (_dropout > 0)
            y = functional.dropout(y, _dropout, training);
        y = fc.call(y);
        return y.mean([2L, 3L, 4L]).MoveToOuterDisposeScope();
    }

    /// <summary>Number of learnable parameters (the figure papers quote; buffers excluded).</summary>
    /// <returns>The count.</returns>
    public long ParameterCount() => parameters().Sum(p => p.numel());
}
