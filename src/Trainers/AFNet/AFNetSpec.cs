using MLNetVideo.Errors;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// Architecture of an AFNet (AF-ResNet) video classifier ("Look More but Care Less in Video Recognition", Zhang et al.,
/// NeurIPS 2022, arXiv:2211.09992): everything needed to rebuild it (stored in the model zip next to the weights).
/// </summary>
/// <remarks>
/// <para>Layout (official <c>AF_ResNet.py</c> names): stem <c>conv1</c>/<c>bn1</c>/max-pool; <c>layer1</c> … <c>layer3</c> are AF
/// modules with, for a stage of B blocks, B − 1 ample blocks (<c>base_module</c>, all frames, output width / <see cref="Alpha"/>,
/// first block stride 2), B − 1 focal blocks (<c>refine_module</c>, full width and resolution, grouped convolutions with
/// <see cref="PatchGroups"/> groups, only on the frames the navigation modules <c>list_gen</c> select), <c>base_transform</c>
/// (1×1 conv + BN back to full width), nearest upsampling, channel-attention fusion <c>att_gen</c> and one fusion block
/// <c>fusion.0</c> (stride 2 in <c>layer1</c>/<c>layer2</c>, 1 in <c>layer3</c>); <c>layer4</c> is plain; GAP, dropout, <c>fc</c>
/// per frame, average consensus over the frames.</para>
/// </remarks>
public sealed record AFNetSpec
{
    /// <summary>Backbone depth.</summary>
    public AFNetDepth Depth { get; init; } = AFNetDepth.ResNet50;

    /// <summary>Number of output classes.</summary>
    public int NumClasses { get; init; } = 174;

    /// <summary>T, the frames per clip. The navigation modules' grouped 1×1 convolution has one 2×2 map per frame, so the
    /// network is built for this T and refuses other clip lengths.</summary>
    public int Frames { get; init; } = 8;

    /// <summary>Multiplies every channel count (1.0 = the reference widths; otherwise rounded, see <see cref="Widths"/>).</summary>
    public double WidthMultiplier { get; init; } = 1.0;

    /// <summary>Channel reduction of the ample branch (the reference's <c>alpha</c>): its blocks are this many times narrower. 1 or 2.</summary>
    public int Alpha { get; init; } = 2;

    /// <summary>Groups of every convolution of the focal blocks (the reference's <c>patch_groups</c>). Default 2.</summary>
    public int PatchGroups { get; init; } = 2;

    /// <summary>Temporal shift (TSM, "blockres", before masking in the focal branch) in every block: AFNet-TSM. Default true.</summary>
    public bool Shift { get; init; } = true;

    /// <summary>1 / the fraction of channels shifted each way (reference 8).</summary>
    public int ShiftDivisor { get; init; } = TemporalShift.DefaultFoldDivisor;

    /// <summary>Channel reduction of the fusion attention's bottleneck (reference 16).</summary>
    public int FusionReduction { get; init; } = 16;

    /// <summary>Dropout before <c>fc</c> (no weights).</summary>
    public double DropoutRate { get; init; } = 0.5;

    /// <summary>Batch-norm eps and momentum (PyTorch convention).</summary>
    public TsmBatchNorm BatchNorm { get; init; } = TsmBatchNorm.Reference;

    /// <summary>Whether the network uses bottleneck blocks (expansion 4).</summary>
    public bool UsesBottleneck => Depth == AFNetDepth.ResNet50;

    /// <summary>Blocks per stage (in an AF stage: B − 1 ample/focal pairs and one fusion block).</summary>
    public int[] BlocksPerStage => Depth switch
    {
        AFNetDepth.ResNet18 => [2, 2, 2, 2],
        _ => [3, 4, 6, 3],
    };

    /// <summary>Navigation modules (masks) per forward pass: Σ over <c>layer1</c>…<c>layer3</c> of (blocks − 1); 10 for AF-ResNet-50.</summary>
    public int NavigationCount => BlocksPerStage.Take(3).Sum(b => b - 1);

    /// <summary>Stem width and the output width of each stage, after the width multiplier. At 1.0 the reference widths; otherwise
    /// the stem and each stage's inner width are rounded to a multiple of 16·<see cref="Alpha"/> (at least that), so that the ample branch's
    /// inner width stays a multiple of 16: libtorch 2.10's CPU k×k convolution kernels shipped with TorchSharp-cpu 0.107 read
    /// uninitialised memory for other small channel counts (seen here as NaN input gradients of an 8-channel 3×3 conv).</summary>
    /// <returns>Stem channels and four stage output widths.</returns>
    public (int Stem, int[] Outputs) Widths()
    {
        int expansion = UsesBottleneck ? 4 : 1;
        int step = 16 * Alpha;
        int Planes(int c) => WidthMultiplier == 1.0
            ? c
            : Math.Max(step, (int)Math.Round(c * WidthMultiplier / step, MidpointRounding.AwayFromZero) * step);
        return (Planes(64), [.. new[] { 64, 128, 256, 512 }.Select(c => Planes(c) * expansion)]);
    }

    /// <summary>Channels entering <c>fc</c>.</summary>
    public int FeatureChannels => Widths().Outputs[^1];

    /// <summary>Checks every value, naming the property and the rule.</summary>
    public void Validate()
    {
        OptionChecks.Defined(Depth, nameof(Depth));
        OptionChecks.Positive(NumClasses, nameof(NumClasses));
        OptionChecks.InRange(Frames, 1, 4096, nameof(Frames));
        OptionChecks.InRange(WidthMultiplier, 1.0 / 64, 4.0, nameof(WidthMultiplier));
        if (Alpha is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, $"Alpha must be 1 or 2; got {Alpha}.");
        OptionChecks.Positive(PatchGroups, nameof(PatchGroups));
        var (stem, outputs) = Widths();
        int expansion = UsesBottleneck ? 4 : 1;
        foreach (int width in outputs.Take(3).Concat(outputs.Take(3).Select(o => o / expansion)).Append(stem))
        {
            if (width % PatchGroups != 0)
                throw new ArgumentOutOfRangeException(nameof(PatchGroups), PatchGroups,
                    $"PatchGroups must divide every focal width ({string.Join(", ", outputs.Take(3))} and their inner widths); {width} is not a multiple of {PatchGroups}.");
        }
        if (ShiftDivisor < 2)
            throw new ArgumentOutOfRangeException(nameof(ShiftDivisor), ShiftDivisor, $"ShiftDivisor must be at least 2; got {ShiftDivisor}.");
        OptionChecks.Positive(FusionReduction, nameof(FusionReduction));
        OptionChecks.InRange(DropoutRate, 0, 0.99, nameof(DropoutRate));
        OptionChecks.Positive(BatchNorm.Eps, "BatchNorm.Eps");
        OptionChecks.InRange(BatchNorm.Momentum, 0, 1, "BatchNorm.Momentum");
    }
}
