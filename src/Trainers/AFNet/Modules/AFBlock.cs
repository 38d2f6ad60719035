using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Runtime;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.AFNet.Modules;

/// <summary>
/// A residual block of an AF-ResNet (frames stacked in the batch, [N·T, C, H, W]). The same block type serves as an ample
/// block (all frames; the reference's <c>Bottleneck_ample</c>) and as a focal block (the reference's <c>Bottleneck_focal</c>,
/// grouped convolutions, residual branch only on selected frames). The shortcut (<c>downsample</c>: optional
/// <c>AvgPool2d(3, 2, 1)</c>, then 1×1 conv + BN where the width changes, ResNet-D style) always runs on every frame.
/// </summary>
/// <remarks>
/// <para>Focal blocks: the temporal shift runs over all T frames first (so the selected frames see their true neighbours),
/// then the residual branch on the masked input, as the reference (<c>out = shift(x) * mask</c>, then the convolutions). In
/// training (<see cref="FocalMasked"/>) every frame is computed that way, so gradients reach the navigation module; at
/// inference (<see cref="FocalSelected"/>) only the selected frames run the branch, and every skipped frame gets the
/// branch's response to a zero frame (a batch-norm bias pattern that depends only on the frame size), computed once per
/// call. Both give the reference's values for every frame.</para>
/// </remarks>
internal abstract class AFBlock : Module
{
    private readonly bool _lastRelu;

    protected AFBlock(string name, bool lastRelu) : base(name) => _lastRelu = lastRelu;

    /// <summary>The block's shortcut.</summary>
    protected abstract Sequential? Shortcut { get; }

    /// <summary>The last batch norm of the residual branch (zero-initialised in ample blocks).</summary>
    internal abstract GcSafeBatchNorm LastNorm { get; }

    /// <summary>The residual branch up to its last BN, counted in <paramref name="trace"/> for <paramref name="framesPerClip"/>
    /// frames per clip (null = all frames).</summary>
    protected abstract Tensor Branch(Tensor x, AFNetExecutionTrace? trace, long[]? framesPerClip);

    /// <summary>Ample block: every frame, shift (when on) before the branch.</summary>
    public Tensor Ample(Tensor x, AFContext context)
    {
        // Sums pass a held alpha (not a + b, whose implicit Scalar can be freed mid-call: HeldScalars).
        var y = Branch(Shifted(x, context), context.Trace, null).add(Residual(x, context), HeldScalars.One);
        return _lastRelu ? functional.relu(y) : y;
    }

    /// <summary>Focal block in training: every frame computed, branch output multiplied by <paramref name="mask"/> ([N·T]).</summary>
    public Tensor FocalMasked(Tensor x, Tensor mask, AFContext context)
    {
        var shifted = Shifted(x, context);
        var y = Branch(shifted * mask.reshape(-1, 1, 1, 1).to(shifted.dtype), null, null).add(Residual(x, context), HeldScalars.One);
        return _lastRelu ? functional.relu(y) : y;
    }

    /// <summary>Focal block at inference: the branch runs only on the rows whose <paramref name="mask"/> ([N·T] of 0/1) is 1,
    /// gathered from all clips into one dense tensor; the results are added onto the shortcut of those rows, and every other
    /// row gets the branch's response to a zero frame. <paramref name="perClip"/> (selected frames per clip) is only needed
    /// for the trace. <paramref name="inputIsScratch"/>: <paramref name="x"/> is held by nothing else, so without autograd a
    /// block without shortcut projection may sum into it rather than into a copy.</summary>
    public Tensor FocalSelected(Tensor x, Tensor mask, long[]? perClip, AFContext context, bool inputIsScratch = false)
    {
        var profile = context.Profile;
        var selected = mask.nonzero().reshape(-1);
        long rows = selected.shape[0];
        context.Trace?.FocalRows(rows);
        profile?.Mark("mask to indices");
        var residual = Residual(x, context);
        profile?.Mark("focal shortcut");
        // Without autograd the sums are made in place, into the shortcut's own output, or into x when the caller gave it up
        // (saves a full copy of the block's input per focal block, 7 of AF-ResNet-50's 10), else into a copy of x.
        bool inPlace = !is_grad_enabled();
        Tensor Writable() => ReferenceEquals(residual, x) && !inputIsScratch ? residual.clone() : residual;
        Tensor y;
        if (rows == x.shape[0])
        {
            // Every frame selected: the branch runs on the shifted input as it is, no gather or scatter.
            var shifted = Shifted(x, context);
            profile?.Mark("focal shift and gather");
            var branch = Branch(shifted, context.Trace, perClip);
            profile?.Mark("focal branch (convs, BN, ReLU)");
            y = inPlace ? branch.add_(residual, HeldScalars.One) : branch.add(residual, HeldScalars.One);
        }
        else if (rows == 0)
        {
            // No frame selected: every frame gets the branch's response to a zero frame (not traced: one frame per call).
            var skipped = SmallZeroMap(x, context) ? ZeroFrameResponse(x) : Branch(zeros_like(x.narrow(0, 0, 1)), null, null);
            profile?.Mark("focal branch (convs, BN, ReLU)");
            y = inPlace ? Writable().add_(skipped, HeldScalars.One) : residual.add(skipped, HeldScalars.One);
        }
        else
        {
            // A skipped frame's branch input is all zeros, so its output is the same map for every such frame. In eval mode
            // (per-sample BN) that zero frame rides along as one more row of the same call (at small sizes, where every op's
            // fixed cost dominates, a second pass through the branch costs more than one more row); in training mode (batch
            // statistics) it runs on its own, as the masked path would see it.
            // Large blocks move fewer bytes (gather only the selected rows' shifted channels, add only where needed); small ones
            // run fewer ops (shift every frame, then gather; one broadcast sum), as each op's fixed cost dominates there.
            bool large = x.numel() >= LargeBlockElements;
            // Large blocks in eval mode get the zero frame's response from a 3×3 map instead (ZeroFrameResponse): at batch 1
            // and RT 0.5 of 12 frames the ride-along row was a seventh of the focal work.
            bool smallZeroMap = SmallZeroMap(x, context);
            bool rideAlong = !training && !smallZeroMap;
            var gathered = large ? GatherShifted(x, selected, context, rideAlong) : GatherFromShifted(x, selected, context, rideAlong);
            profile?.Mark("focal shift and gather");
            var computed = Branch(gathered, context.Trace, perClip);
            var branch = rideAlong ? computed.narrow(0, 0, rows) : computed;
            var skipped = rideAlong ? computed.narrow(0, rows, 1)
                : smallZeroMap ? ZeroFrameResponse(x)
                : Branch(zeros_like(x.narrow(0, 0, 1)), null, null);
            profile?.Mark("focal branch (convs, BN, ReLU)");
            if (inPlace && large && context.LeanFocalSums)
            {
                // Every row gets the zero frame's response by one in-place broadcast add (as cheap as the all-skipped case),
                // then the selected rows the difference to their own result: one index_add over the selected rows only, instead
                // of an index_add of an expanded tensor over the skipped rows (BENCHMARKS.md, AFNet, part 4 of issue 19).
                y = Writable().add_(skipped, HeldScalars.One).index_add_(0, selected, branch.sub_(skipped), HeldScalars.One);
            }
            else if (inPlace && large)
            {
                // Two index_adds (the selected rows' results, and the zero frame's response on the other rows) rather than a
                // broadcast sum over all rows: libtorch's CPU kernel for a fresh broadcast sum was measured ~10× slower than an
                // in-place add of the same size (36 ms per AF-ResNet-50 clip at 112², issue 19).
                var unselected = mask.eq(HeldScalars.Zero).nonzero().reshape(-1);
                y = Writable().index_add_(0, selected, branch, HeldScalars.One).index_add_(0, unselected, skipped.expand(unselected.shape[0], -1, -1, -1), HeldScalars.One);
            }
            else
            {
                y = residual.add(skipped, HeldScalars.One);
                y = inPlace ? y.index_add_(0, selected, branch - skipped, HeldScalars.One) : y.index_add(0, selected, branch - skipped, HeldScalars.One);
            }
        }
        // y is a tensor made here when computed with autograd, and never a tensor the caller still holds: rectified in place.
        y = !_lastRelu ? y : inPlace ? y.relu_() : functional.relu(y);
        profile?.Mark("focal scatter (index_add, ReLU)");
        return y;
    }

    /// <summary>The branch's response to a zero frame of <paramref name="x"/>'s size, [1, C, H, W], computed on a 3×3 zero map:
    /// the first convolution maps zeros to zeros (no bias), its BN makes every channel a constant, and the only convolution
    /// that then sees a non-zero map is a 3×3 one with padding 1 and stride 1 (focal blocks never stride), which gives that
    /// constant a one-pixel border; everything after it works per pixel. So the H×W response is the 3×3 one with its middle
    /// row and column repeated. Falls back to the full-size zero frame if the branch does not keep the 3×3 size.</summary>
    private bool SmallZeroMap(Tensor x, AFContext context)
        => !training && context.LeanFocalSums && x.numel() >= LargeBlockElements && x.shape[2] >= 3 && x.shape[3] >= 3;

    private Tensor ZeroFrameResponse(Tensor x)
    {
        long h = x.shape[2], w = x.shape[3];
        var small = Branch(zeros(1, x.shape[1], 3, 3, dtype: x.dtype, device: x.device), null, null);
        if (small.shape[2] != 3 || small.shape[3] != 3)
            return Branch(zeros_like(x.narrow(0, 0, 1)), null, null);
        static Tensor Spread(long size, Device device)
        {
            var index = new long[size];
            Array.Fill(index, 1L);
            index[^1] = 2;
            index[0] = 0;
            return tensor(index, device: device);
        }
        return small.index_select(2, Spread(h, x.device)).index_select(3, Spread(w, x.device));
    }

    /// <summary>Blocks whose input holds at least this many elements (1 MiB of float32) take the byte-saving gather and scatter.</summary>
    internal const long LargeBlockElements = 1L << 18;

    /// <summary>As <see cref="GatherShifted"/>, by shifting every frame and gathering from the result (fewer ops).</summary>
    private static Tensor GatherFromShifted(Tensor x, Tensor selected, AFContext context, bool zeroRow)
    {
        var index = zeroRow ? cat([selected, selected.narrow(0, 0, 1)]) : selected;
        var gathered = Shifted(x, context).index_select(0, index);
        if (zeroRow)
            gathered.narrow(0, selected.shape[0], 1).zero_();
        return gathered;
    }

    /// <summary>The rows <paramref name="selected"/> of the temporally shifted <paramref name="x"/> (plus one row of zeros when
    /// <paramref name="zeroRow"/>), without shifting the other rows: each shifted channel group is gathered from the
    /// neighbouring frame, zero where that neighbour lies outside the clip (the values gathering from
    /// <see cref="TemporalShift.Shift"/> gives).</summary>
    private static Tensor GatherShifted(Tensor x, Tensor selected, AFContext context, bool zeroRow)
    {
        long rows = selected.shape[0], channels = x.shape[1];
        // The zero row is gathered as a copy of the first selected row and cleared afterwards (no concatenation of the result).
        var index = zeroRow ? cat([selected, selected.narrow(0, 0, 1)]) : selected;
        long fold = context.ShiftDivisor > 0 ? channels / context.ShiftDivisor : 0;
        Tensor gathered;
        if (fold == 0)
        {
            gathered = x.index_select(0, index);
        }
        else
        {
            using var frames = context.Frames.ToScalar();   // held, not implicit: HeldScalars
            using var lastFrame = (context.Frames - 1).ToScalar();
            var frame = index.remainder(frames);
            var hasNext = frame.lt(lastFrame);
            var hasPrevious = frame.gt(HeldScalars.Zero);
            var fromNext = x.narrow(1, 0, fold).index_select(0, index.add(hasNext.to(index.dtype), HeldScalars.One))
                .masked_fill_(hasNext.logical_not().reshape(-1, 1, 1, 1), HeldScalars.Zero);
            var fromPrevious = x.narrow(1, fold, fold).index_select(0, index - hasPrevious.to(index.dtype))
                .masked_fill_(hasPrevious.logical_not().reshape(-1, 1, 1, 1), HeldScalars.Zero);
            var unchanged = x.narrow(1, 2 * fold, channels - (2 * fold)).index_select(0, index);
            gathered = cat([fromNext, fromPrevious, unchanged], 1);
        }
        if (zeroRow)
            gathered.narrow(0, rows, 1).zero_();
        return gathered;
    }

    private static Tensor Shifted(Tensor x, AFContext context)
        => context.ShiftDivisor > 0 ? TemporalShift.Shift(x, context.Frames, context.ShiftDivisor) : x;

    private Tensor Residual(Tensor x, AFContext context)
    {
        if (Shortcut is null)
            return x;
        var y = x;
        foreach (var module in Shortcut.children())
        {
            y = ((Module<Tensor, Tensor>)module).call(y);
            if (module is Conv2d conv)
                context.Trace?.Conv(conv, y);
        }
        return y;
    }

    /// <summary>The reference's shortcut: <c>AvgPool2d(3, 2, 1)</c> when strided, then 1×1 conv + BN when the width changes
    /// (keys <c>downsample.{0,1,2}</c> or <c>downsample.{0,1}</c> as in <c>AF_ResNet.py</c>); null when neither.</summary>
    protected static Sequential? Downsample(long inChannels, long outChannels, long stride, TsmBatchNorm bn)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        if (stride != 1)
            layers.Add(AvgPool2d(3, stride: 2, padding: 1));
        if (inChannels != outChannels)
        {
            layers.Add(Conv2d(inChannels, outChannels, 1, bias: false));
            layers.Add(GcSafeBatchNorm.For2d(outChannels, eps: bn.Eps, momentum: bn.Momentum));
        }
        return layers.Count == 0 ? null : Sequential(layers);
    }
}
