using MLNetVideo.Transforms.TemporalClustering;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

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
    internal abstract BatchNorm2d LastNorm { get; }

    /// <summary>The residual branch up to its last BN, counted in <paramref name="trace"/> for <paramref name="framesPerClip"/>
    /// frames per clip (null = all frames).</summary>
    protected abstract Tensor Branch(Tensor x, AFNetExecutionTrace? trace, long[]? framesPerClip);

    /// <summary>Ample block: every frame, shift (when on) before the branch.</summary>
    public Tensor Ample(Tensor x, AFContext context)
    {
        var y = Branch(Shifted(x, context), context.Trace, null) + Residual(x, context);
        return _lastRelu ? functional.relu(y) : y;
    }

    /// <summary>Focal block in training: every frame computed, branch output multiplied by <paramref name="mask"/> ([N·T]).</summary>
    public Tensor FocalMasked(Tensor x, Tensor mask, AFContext context)
    {
        var shifted = Shifted(x, context);
        var y = Branch(shifted * mask.reshape(-1, 1, 1, 1).to(shifted.dtype), null, null) + Residual(x, context);
        return _lastRelu ? functional.relu(y) : y;
    }

    /// <summary>Focal block at inference: the branch runs only on the rows <paramref name="selected"/> (indices into N·T),
    /// whose per-clip counts are <paramref name="perClip"/>; the results are added onto the shortcut of every frame.</summary>
    public Tensor FocalSelected(Tensor x, Tensor selected, long[] perClip, AFContext context)
    {
        var residual = Residual(x, context);
        long rows = selected.shape[0];
        context.Trace?.FocalRows(rows);
        // A skipped frame's branch input is all zeros: its output is the same map for every such frame (not traced: one
        // frame per call, not per clip). In eval mode (per-sample BN) it rides along with the selected frames in one call,
        // which at small sizes, where every op's fixed cost dominates, saves a second pass through the branch's layers.
        bool anySkipped = rows != x.shape[0];
        Tensor? skipped = null, branch = null;
        if (rows > 0)
        {
            var gathered = Shifted(x, context).index_select(0, selected);
            if (anySkipped && !training)
            {
                var both = Branch(cat([gathered, zeros_like(x.narrow(0, 0, 1))]), context.Trace, perClip);
                branch = both.narrow(0, 0, rows);
                skipped = both.narrow(0, rows, 1);
            }
            else
            {
                branch = Branch(gathered, context.Trace, perClip);
            }
        }
        if (anySkipped)
            skipped ??= Branch(zeros_like(x.narrow(0, 0, 1)), null, null);
        Tensor y = skipped is null ? residual : residual + skipped;
        if (branch is not null)
            y = y.index_add(0, selected, skipped is null ? branch : branch - skipped, 1);
        return _lastRelu ? functional.relu(y) : y.alias();
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
    protected static Sequential? Downsample(long inChannels, long outChannels, long stride, Tsm.TsmBatchNorm bn)
    {
        var layers = new List<Module<Tensor, Tensor>>();
        if (stride != 1)
            layers.Add(AvgPool2d(3, stride: 2, padding: 1));
        if (inChannels != outChannels)
        {
            layers.Add(Conv2d(inChannels, outChannels, 1, bias: false));
            layers.Add(BatchNorm2d(outChannels, eps: bn.Eps, momentum: bn.Momentum));
        }
        return layers.Count == 0 ? null : Sequential(layers);
    }
}
