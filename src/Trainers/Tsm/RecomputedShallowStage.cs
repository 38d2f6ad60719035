using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>
/// Gradient checkpointing of a <see cref="TsmNetwork"/>'s first stage (TorchSharp has no <c>torch.utils.checkpoint</c>):
/// a custom autograd function whose forward runs stem + <c>layer1</c> without recording (chunk by chunk, so only one chunk's
/// intermediates exist at a time) and keeps only the input clips, and whose backward recomputes the stage chunk by chunk
/// with gradients enabled and returns the gradients of the stage's parameters, which autograd accumulates as usual.
/// </summary>
/// <remarks>Arguments of <c>apply</c>: the clips [N, T, 3, H, W], the network, then <see cref="TsmNetwork.ShallowParameters"/>
/// in order (they are the function's differentiable inputs). No state is kept in the (shared) function instance: the
/// network travels in the autograd context of each call.</remarks>
internal sealed class RecomputedShallowStage : autograd.SingleTensorFunction<RecomputedShallowStage>
{
    private const string NetworkKey = "network";

    public override string Name => nameof(RecomputedShallowStage);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var clips = (Tensor)vars[0];
        var network = (TsmNetwork)vars[1];
        ctx.save_data(NetworkKey, network);
        ctx.save_for_backward([clips]);
        return network.ShallowDirect(clips);   // autograd is off here (set by apply)
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var network = (TsmNetwork)ctx.get_data(NetworkKey);
        var clips = ctx.get_saved_variables()[0];
        var parameters = network.ShallowParameters();
        var gradients = network.RecomputeShallowGradients(clips, grad_output, parameters);
        var result = new List<Tensor>(parameters.Length + 2) { null!, null! };   // clips (no gradient), network (not a tensor)
        result.AddRange(gradients);
        return result;
    }
}
