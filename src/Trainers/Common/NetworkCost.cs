using System.Runtime.InteropServices;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>Counts a network's multiply-accumulates on one clip with forward hooks on its convolution and linear layers
/// (attention matrix products and element-wise work excluded).</summary>
internal static class NetworkCost
{
    /// <summary>MACs of one forward pass of <paramref name="network"/> (eval mode, CPU) on one view; null when it cannot run here.</summary>
    public static long? CountMacs(nn.Module<Tensor, Tensor> network, ClipGeometry clip, ClipLayout layout, float[] oneView)
    {
        long macs = 0;
        var hooks = new List<Action>();
        try
        {
            foreach (var (_, module) in network.named_modules())
            {
                Tensor? weight = module switch
                {
                    Conv1d c => c.weight,
                    Conv2d c => c.weight,
                    Conv3d c => c.weight,
                    Linear l => l.weight,
                    _ => null,
                };
                if (weight is null || module is not nn.Module<Tensor, Tensor> hookable) continue;
                long perOutput = weight.numel() / weight.shape[0];
                var remover = hookable.register_forward_hook((_, _, output) =>
                {
                    macs += output.numel() * perOutput;
                    return output;
                });
                hooks.Add(remover.remove);
            }
            network.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var single = clip with { Views = 1 };
            network.call(single.ToTensor(oneView.AsSpan(0, single.ViewSize).ToArray(), 1, layout, CPU));
            return macs > 0 ? macs : null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or ExternalException)
        {
            return null;
        }
        finally
        {
            foreach (var remove in hooks) remove();
        }
    }
}
