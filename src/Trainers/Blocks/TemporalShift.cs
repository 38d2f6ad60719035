using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.Blocks;

/// <summary>
/// The Temporal Shift Module ("TSM: Temporal Shift Module for Efficient Video Understanding", Lin, Gan, Han, ICCV 2019;
/// Lin et al., "TSM: Temporal Shift Module for Efficient Video Understanding", ICCV 2019) wrapped around a layer, in the "blockres" placement: the input is shifted along time, then passed to
/// the wrapped layer. The wrapped layer is held in a field named <c>net</c>, so a wrapped <c>conv1</c> of a residual
/// block has the checkpoint keys <c>…conv1.net.weight</c> of the official TSM checkpoints.
/// </summary>
/// <remarks>
/// <para>The shift has no parameters and no FLOPs. Input [N·T, C, ...] is viewed as [N, T, C, ...] with
/// fold = ⌊C / <see cref="FoldDivisor"/>⌋: channels [0, fold) of frame t come from frame t + 1 (zero for the last frame),
/// channels [fold, 2·fold) come from frame t − 1 (zero for the first frame), the other channels are unchanged.</para>
/// <para>The shift is built from slices and concatenations into a new tensor: the input is never modified in place, so
/// it stays valid for a residual branch and for autograd.</para>
/// <para>This module owns the wrapped layer: disposing it disposes <c>net</c>.</para>
/// </remarks>
internal sealed class TemporalShift : Module<Tensor, Tensor>
{
    private readonly Module<Tensor, Tensor> net;

    /// <summary>Wraps <paramref name="net"/> with a temporal shift over <paramref name="segmentCount"/> frames.</summary>
    /// <param name="net">The layer to run after the shift (for example the first 1×1 conv of a bottleneck).</param>
    /// <param name="segmentCount">T, the frames per video in the batch dimension (n_segment in the reference code).</param>
    /// <param name="foldDivisor">1 / the fraction of channels shifted each way (shift_div, default 8).</param>
    public TemporalShift(Module<Tensor, Tensor> net, int segmentCount, int foldDivisor = DefaultFoldDivisor)
        : base(nameof(TemporalShift))
    {
        ArgumentNullException.ThrowIfNull(net);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(foldDivisor, 2);
        this.net = net;
        SegmentCount = segmentCount;
        FoldDivisor = foldDivisor;
        RegisterComponents();
    }

    /// <summary>The reference implementation's shift_div: 1/8 of the channels move forward and 1/8 backward.</summary>
    public const int DefaultFoldDivisor = 8;

    /// <summary>T, the number of consecutive batch rows that form one video.</summary>
    public int SegmentCount { get; }

    /// <summary>1 / the fraction of channels shifted in each direction.</summary>
    public int FoldDivisor { get; }

    /// <summary>Shifts over <see cref="SegmentCount"/> frames, then runs the wrapped layer.</summary>
    /// <param name="input">[N·T, C, ...].</param>
    /// <returns>The wrapped layer's output.</returns>
    public override Tensor forward(Tensor input) => forward(input, SegmentCount);

    /// <summary>Shifts over <paramref name="segmentCount"/> frames, then runs the wrapped layer. For networks whose
    /// number of frames changes between calls (all frames before temporal clustering, g clusters after).</summary>
    /// <param name="input">[N·T, C, ...].</param>
    /// <param name="segmentCount">T for this call.</param>
    /// <returns>The wrapped layer's output.</returns>
    public Tensor forward(Tensor input, int segmentCount)
    {
        using var scope = NewDisposeScope();
        var output = net.call(Shift(input, segmentCount, FoldDivisor));
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>The temporal shift alone: [N·T, C, ...] → a new tensor of the same shape (see the class remarks).</summary>
    /// <param name="input">[N·T, C, ...]; the first dimension must be a multiple of <paramref name="segmentCount"/>. Not changed.</param>
    /// <param name="segmentCount">T.</param>
    /// <param name="foldDivisor">1 / the fraction of channels shifted each way (at least 2).</param>
    /// <returns>The shifted tensor, differentiable with respect to <paramref name="input"/>.</returns>
    public static Tensor Shift(Tensor input, int segmentCount, int foldDivisor = DefaultFoldDivisor)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(foldDivisor, 2);
        if (input.dim() < 2 || input.shape[0] % segmentCount != 0)
            throw new ArgumentException(
                $"Expected [N·T, C, ...] with a first dimension that is a multiple of T = {segmentCount}; got shape [{string.Join(", ", input.shape)}].",
                nameof(input));

        long frames = segmentCount;
        long channels = input.shape[1];
        long fold = channels / foldDivisor;
        using var scope = NewDisposeScope();
        if (fold == 0)
            return input.clone().MoveToOuterDisposeScope();

        var grouped = new long[input.dim() + 1];
        grouped[0] = input.shape[0] / frames;
        grouped[1] = frames;
        Array.Copy(input.shape, 1, grouped, 2, input.dim() - 1);
        var x = input.reshape(grouped);

        var zeroShape = (long[])grouped.Clone();
        zeroShape[1] = 1;
        zeroShape[2] = fold;
        var zero = zeros(zeroShape, dtype: input.dtype, device: input.device);

        var fromNext = cat([x.narrow(2, 0, fold).narrow(1, 1, frames - 1), zero], 1);
        var fromPrevious = cat([zero, x.narrow(2, fold, fold).narrow(1, 0, frames - 1)], 1);
        var unchanged = x.narrow(2, 2 * fold, channels - 2 * fold);
        var shifted = cat([fromNext, fromPrevious, unchanged], 2).reshape(input.shape);
        return shifted.MoveToOuterDisposeScope();
    }
}
