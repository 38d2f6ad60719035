using MLNetVideo.Trainers.Blocks;
using MLNetVideo.Errors;
using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>
/// Architecture of a TSM-ResNet network, optionally with temporal clustering after the first stage: everything needed to
/// rebuild it (stored in the model zip next to the weights).
/// </summary>
/// <remarks>
/// <para>Layout (torchvision ResNet names, TSM "blockres" shift of 1/<see cref="ShiftDivisor"/> of the channels each way
/// wrapped around <c>conv1</c> of every residual block): <c>conv1</c>, <c>bn1</c>, ReLU, max-pool, <c>layer1</c> … <c>layer4</c>,
/// global average pool, dropout, <c>fc</c> per frame, average consensus over the frames (or clusters).</para>
/// <para>With clustering the first stage (stem + <c>layer1</c>) sees all T frames; its activations are clustered per video into
/// <see cref="ClusterCount"/> contiguous clusters and merged (sum or mean), so <c>layer2</c> … <c>layer4</c> see g pseudo-frames
/// ("No Frame Left Behind", CVPR 2021). The shifts of <c>layer1</c> run over T frames, those of the deeper stages over g.</para>
/// </remarks>
public sealed record TsmSpec
{
    /// <summary>Backbone depth.</summary>
    public TsmDepth Depth { get; init; } = TsmDepth.ResNet50;

    /// <summary>Number of output classes.</summary>
    public int NumClasses { get; init; } = 400;

    /// <summary>Multiplies every channel count (1.0 = torchvision's widths). Otherwise rounded to a multiple of 16, at least 16.</summary>
    public double WidthMultiplier { get; init; } = 1.0;

    /// <summary>1 / the fraction of channels shifted each way in time (the reference's shift_div). At least 2.</summary>
    public int ShiftDivisor { get; init; } = TemporalShift.DefaultFoldDivisor;

    /// <summary>Dropout before <c>fc</c> (no weights).</summary>
    public double DropoutRate { get; init; } = 0.5;

    /// <summary>Batch-norm eps and momentum (PyTorch convention).</summary>
    public TsmBatchNorm BatchNorm { get; init; } = TsmBatchNorm.Reference;

    /// <summary>Temporal clustering after <c>layer1</c>, or <see cref="TsmClustering.None"/>.</summary>
    public TsmClustering Clustering { get; init; } = TsmClustering.None;

    /// <summary>g, the number of clusters (pseudo-frames) the deep stages see when <see cref="Clustering"/> is on.</summary>
    public int ClusterCount { get; init; } = 8;

    /// <summary>How the frames of a cluster are merged (sum as in the paper, mean as in the reference code).</summary>
    public ClusterAggregation Aggregation { get; init; } = ClusterAggregation.Sum;

    /// <summary>Frames used from each clip: 0 = all of them; otherwise this many uniformly spaced frames (the centres of
    /// equal segments, TSN/TSM test sampling) are picked inside the network before the first layer.</summary>
    public int SampledFrames { get; init; }

    /// <summary>Frames per video run through the first stage at a time (0 = all at once, or
    /// <see cref="DefaultOnlineChunkFrames"/> on the <see cref="OnlineClustering"/> path). See <see cref="TsmNetwork"/> for what
    /// chunking bounds and what it does not.</summary>
    public int ShallowChunkFrames { get; init; }

    /// <summary>With <see cref="Clustering"/> on: compute the first stage and the clustering chunk by chunk, so that no tensor
    /// holds <c>layer1</c>'s output for all T frames, in training and in inference (default <see langword="true"/>). One pass
    /// counts the changes between consecutive binarised frames (carrying one frame across chunk borders), a second adds
    /// each chunk's frames into their clusters, and the backward pass recomputes each chunk with gradients. Same clusters,
    /// logits and gradients as the stored path (batch norm in training aside: each chunk uses its own statistics), for
    /// about two more first-stage forward passes per step. <see langword="false"/>: the first stage's output for all frames is
    /// materialised, then clustered (optionally with <see cref="RecomputeShallowStage"/>). Ignored without clustering.</summary>
    public bool OnlineClustering { get; init; } = true;

    /// <summary>Chunk size of the <see cref="OnlineClustering"/> path when <see cref="ShallowChunkFrames"/> is 0.</summary>
    public const int DefaultOnlineChunkFrames = 4;

    /// <summary>In training, keep only the first stage's output instead of all its intermediate activations, and recompute
    /// the stage (chunk by chunk, see <see cref="ShallowChunkFrames"/>) during the backward pass: gradient checkpointing of
    /// stem + <c>layer1</c>, so training memory grows with T only by <c>layer1</c>'s output and its gradient. Same gradients,
    /// about one more forward pass of the first stage per step. Batch-norm running statistics of the first stage are updated
    /// twice per step (forward and recomputation, with the same batch statistics). Used only when the
    /// <see cref="OnlineClustering"/> path is not (no clustering, or <see cref="OnlineClustering"/> off).</summary>
    public bool RecomputeShallowStage { get; init; }

    /// <summary>Whether the network uses bottleneck blocks (expansion 4).</summary>
    public bool UsesBottleneck => Depth == TsmDepth.ResNet50;

    /// <summary>Blocks per stage.</summary>
    public int[] BlocksPerStage => Depth switch
    {
        TsmDepth.ResNet18 => [2, 2, 2, 2],
        _ => [3, 4, 6, 3],
    };

    /// <summary>Channel expansion of a block's output over its inner width (1 for basic blocks, 4 for bottlenecks).</summary>
    public int Expansion => UsesBottleneck ? 4 : 1;

    /// <summary>Stem width and the inner width ("planes") of each stage, after the width multiplier.</summary>
    /// <returns>Stem channels and four stage widths.</returns>
    public (int Stem, int[] Planes) Widths()
        => (ScaleChannels(64, WidthMultiplier), [.. new[] { 64, 128, 256, 512 }.Select(c => ScaleChannels(c, WidthMultiplier))]);

    /// <summary>Channels entering <c>fc</c>.</summary>
    public int FeatureChannels => Widths().Planes[^1] * Expansion;

    /// <summary>Channels leaving <c>layer1</c> (the activations that are clustered).</summary>
    public int ShallowChannels => Widths().Planes[0] * Expansion;

    /// <summary>Checks every value, naming the property and the rule.</summary>
    public void Validate()
    {
        OptionChecks.Defined(Depth, nameof(Depth));
        OptionChecks.Positive(NumClasses, nameof(NumClasses));
        OptionChecks.InRange(WidthMultiplier, 1.0 / 64, 4.0, nameof(WidthMultiplier));
        if (ShiftDivisor < 2)
            throw new ArgumentOutOfRangeException(nameof(ShiftDivisor), ShiftDivisor, $"ShiftDivisor must be at least 2; got {ShiftDivisor}.");
        OptionChecks.InRange(DropoutRate, 0, 0.99, nameof(DropoutRate));
        OptionChecks.Positive(BatchNorm.Eps, "BatchNorm.Eps");
        OptionChecks.InRange(BatchNorm.Momentum, 0, 1, "BatchNorm.Momentum");
        OptionChecks.Defined(Clustering, nameof(Clustering));
        OptionChecks.InRange(ClusterCount, 1, 1024, nameof(ClusterCount));
        OptionChecks.Defined(Aggregation, nameof(Aggregation));
        OptionChecks.NonNegative(SampledFrames, nameof(SampledFrames));
        OptionChecks.NonNegative(ShallowChunkFrames, nameof(ShallowChunkFrames));
    }

    /// <summary>Scaled width: the table value at 1.0; otherwise rounded to the nearest multiple of 16, at least 16. Multiples
    /// of 16 keep libtorch's CPU k×k convolution kernels on their correct path (TorchSharp-cpu 0.107 reads uninitialised
    /// memory for channel counts above 16 that are not multiples of 16; see S3D's <c>SepConv3d</c>).</summary>
    internal static int ScaleChannels(int channels, double multiplier)
        => multiplier == 1.0 ? channels : Math.Max(16, (int)Math.Round(channels * multiplier / 16.0, MidpointRounding.AwayFromZero) * 16);

    /// <summary>Indices of <paramref name="count"/> uniformly spaced frames out of <paramref name="frames"/>: the centre of
    /// each of <paramref name="count"/> equal segments (TSM's test-time sampling). When count ≥ frames, every frame.</summary>
    /// <param name="frames">T.</param>
    /// <param name="count">Frames wanted.</param>
    /// <returns>Ascending indices in [0, frames).</returns>
    public static long[] UniformIndices(int frames, int count) => UniformFrames.Indices(frames, count);
}
