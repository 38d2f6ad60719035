using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.Blocks;

/// <summary>torchvision's ResNet initialisation, shared by the ResNet-based families (TSM, AFNet).</summary>
internal static class ResNetInitialisation
{
    /// <summary>Kaiming-normal (fan-out, ReLU) for every 2-D convolution; weight 1 and bias 0 for every batch norm.</summary>
    /// <param name="network">The network whose submodules are initialised in place.</param>
    public static void ConvolutionsAndNorms(Module network)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in network.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    init.kaiming_normal_(conv.weight, mode: init.FanInOut.FanOut, nonlinearity: init.NonlinearityType.ReLU);
                    break;
                case BatchNorm norm:
                    init.ones_(norm.weight);
                    init.zeros_(norm.bias);
                    break;
            }
        }
    }
}
