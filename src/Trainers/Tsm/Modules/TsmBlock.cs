using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

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

    /// <summary>Builds the optional projection shortcut (torchvision's <c>downsample</c>: 1×1 conv with stride, BN).</summary>
    protected static Sequential? Downsample(long inChannels, long outChannels, long stride, TsmBatchNorm bn)
        => stride == 1 && inChannels == outChannels
            ? null
            : Sequential(
                Conv2d(inChannels, outChannels, 1, stride: stride, bias: false),
                BatchNorm2d(outChannels, eps: bn.Eps, momentum: bn.Momentum));
}
