using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Tsm;
using TorchSharp;
using TorchSharp.Modules;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNetVideo.Cli;

/// <summary>Parameters and multiply-accumulates of a trained classifier's network, for <c>benchmark</c>.</summary>
internal static class ModelCost
{
    /// <summary>Trainable parameters of the classifier's network, and its multiply-accumulates for one clip (one view)
    /// counted over convolution and linear layers with forward hooks (attention matrix products and element-wise work
    /// excluded); null when the network cannot be rebuilt here.</summary>
    public static (long Parameters, long? MultiplyAccumulates) Measure(object classifier, float[] oneRow)
    {
        switch (classifier)
        {
            case S3DTransformer s3d:
            {
                using var net = new S3DNetwork(s3d.Spec);
                var clip = s3d.Info.Clip;
                return (net.ParameterCount(), CountMacs(net, clip, s3d.Info.NetworkLayout, oneRow)
                    ?? S3DCost.MultiplyAccumulates(s3d.Spec, clip.Frames, clip.Height, clip.Width));
            }
            case MoViNetTransformer movinet:
            {
                using var net = new MoViNetNetwork(movinet.Spec);
                var clip = movinet.Info.Clip;
                return (net.ParameterCount(), CountMacs(net, clip, movinet.Info.NetworkLayout, oneRow)
                    ?? (long)MoViNetCost.MultiplyAccumulates(movinet.Spec, clip.Frames, clip.Height, clip.Width));
            }
            case TsmTransformer tsm:
            {
                using var net = new TsmNetwork(tsm.Spec);
                return (net.ParameterCount(), CountMacs(net, tsm.Info.Clip, tsm.Info.NetworkLayout, oneRow));
            }
            case AFNetTransformer afnet:
            {
                // The executed cost depends on the frames the navigation picks for this clip: AFNet counts it itself.
                using var net = new AFNetNetwork(afnet.Spec);
                var prediction = afnet.Predict(oneRow.AsSpan(0, afnet.Info.Clip.ViewSize));
                return (net.ParameterCount(), (long)prediction.MultiplyAccumulates);
            }
            case EvlTransformer evl:
            {
                using var net = new EvlNetwork(evl.Spec);
                return (evl.Spec.ParameterCount, CountMacs(net, evl.Info.Clip, evl.Info.NetworkLayout, oneRow));
            }
            default:
                return (0, null);
        }
    }

    private static long? CountMacs(nn.Module<Tensor, Tensor> net, Trainers.ClipGeometry clip, Transforms.Decoding.ClipLayout layout, float[] oneRow)
    {
        long macs = 0;
        var hooks = new List<Action>();
        try
        {
            foreach (var (_, module) in net.named_modules())
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
            net.eval();
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var view = oneRow.AsSpan(0, clip.ViewSize).ToArray();
            var single = clip with { Views = 1 };
            net.call(single.ToTensor(view, 1, layout, CPU));
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
