using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;
using MLNetVideo.Trainers.Blocks;

namespace MLNetVideo.Trainers.Tsm.Modules;

/// <summary>
/// A residual block of a TSM-ResNet: frames are stacked in the batch dimension ([N·T, C, H, W]) and the number of frames
/// per video, T, is an argument of every call. Nothing about T is stored in the block, so one network can run T frames
/// in its first stage and g clusters in the deeper ones, and concurrent calls with different T do not interfere.
/// </summary>
internal abstract class TsmBlock : Module<Tensor, int, Tensor>
{
    protected TsmBlock(string name) : base(name)
    {
    }

    /// <summary>Builds the optional projection shortcut (torchvision's <c>downsample</c>: 1×1 conv, BN). The conv is built
    /// with stride 1: <see cref="Shortcut"/> subsamples the input first, which for a 1×1 kernel without padding is the same
    /// function with the same weights (key <c>downsample.0.weight</c> unchanged).</summary>
    protected static Sequential? Downsample(long inChannels, long outChannels, long stride, TsmBatchNorm bn)
        => stride == 1 && inChannels == outChannels
            ? null
            : Sequential(
                Conv2d(inChannels, outChannels, 1, stride: 1, bias: false),
                GcSafeBatchNorm.For2d(outChannels, eps: bn.Eps, momentum: bn.Momentum));

    /// <summary>
    /// The shortcut branch: the input itself, or <paramref name="downsample"/> on the input subsampled by
    /// <paramref name="stride"/>. Why not a strided 1×1 conv: the oneDNN (brgemm) backward-data kernel for strided 1×1
    /// convolutions in the libtorch 2.10 CPU build shipped with TorchSharp-cpu 0.107 dies with SIGFPE (integer division by
    /// zero in <c>brg_blocking_t::est_eff_1x1</c>) for full-width ResNet-50 shapes on this project's x86-64 machines, killing
    /// the process. Subsampling then a stride-1 1×1 conv avoids that kernel and computes the same values and gradients.
    /// </summary>
    protected static Tensor Shortcut(Sequential? downsample, Tensor x, long stride)
    {
        if (downsample is null)
            return x;
        var input = stride == 1 ? x : x.slice(2, 0, x.shape[2], stride).slice(3, 0, x.shape[3], stride);
        return downsample.call(input);
    }
}
