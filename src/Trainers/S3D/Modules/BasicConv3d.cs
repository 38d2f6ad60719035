using MLNetVideo.Trainers.Blocks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.S3D.Modules;

/// <summary>
/// Conv3d (no bias) → batch norm (<see cref="GcSafeBatchNorm"/>) → ReLU. State-dict names <c>conv</c>, <c>bn</c>, as in the reference
/// implementation (kylemin/S3D <c>BasicConv3d</c>).
/// </summary>
internal sealed class BasicConv3d : Module<Tensor, Tensor>
{
    private readonly Conv3d conv;
    private readonly BatchNorm bn;   // a GcSafeBatchNorm; typed as the base so ReliabilityBenchmarks bnstress can time TorchSharp's in its place

    public BasicConv3d(long inChannels, long outChannels, long kernel, S3DBatchNorm batchNorm)
        : base(nameof(BasicConv3d))
    {
        conv = Conv3d(inChannels, outChannels, kernel, stride: 1, padding: kernel / 2, bias: false);
        bn = GcSafeBatchNorm.For3d(outChannels, eps: batchNorm.Eps, momentum: batchNorm.Momentum);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => functional.relu(bn.call(conv.call(x)));
}
