using MLNetVideo.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// TorchSharp's AdamW with the scalars of its update held for the call, for the reason given on <see cref="SGD"/>: in
/// TorchSharp 0.107 the decay factor, the moment weights, <c>eps</c> and the step size become temporary Scalars that a
/// collection can free during the native call.
/// </summary>
/// <remarks>
/// The update is TorchSharp's, operation for operation (decoupled weight decay, bias-corrected moments, amsgrad,
/// maximize), and so are the per-parameter state and its saving; named like TorchSharp's so saved states load either way
/// (see <see cref="SGD"/>).
/// </remarks>
internal sealed class AdamW(IEnumerable<TorchSharp.Modules.AdamW.ParamGroup> groups, double lr, double weightDecay)
    : TorchSharp.Modules.AdamW(groups, lr, weight_decay: weightDecay)
{
    public override Tensor step(Func<Tensor>? closure = null)
        => _step<ParamGroup>(group =>
        {
            var options = (Options)group.Options;
            double beta1 = options.beta1!.Value, beta2 = options.beta2!.Value, weightDecay = options.weight_decay!.Value;
            double eps = options.eps!.Value, lr = options.LearningRate!.Value;
            bool amsgrad = options.amsgrad!.Value, maximize = options.maximize!.Value;
            using var shrink = (1 - lr * weightDecay).ToScalar();
            using var keep1 = beta1.ToScalar();
            using var fresh1 = (1 - beta1).ToScalar();
            using var keep2 = beta2.ToScalar();
            using var fresh2 = (1 - beta2).ToScalar();
            using var epsilon = eps.ToScalar();
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null)
                    continue;
                if (maximize)
                    grad = -grad;
                var state = (State)_state[param.Handle];
                state.step += 1;
                param.mul_(shrink);
                double correction1 = 1 - Math.Pow(beta1, state.step), correction2 = 1 - Math.Pow(beta2, state.step);
                state.exp_avg.mul_(keep1).add_(grad, fresh1);
                state.exp_avg_sq.mul_(keep2).addcmul_(grad, grad, fresh2);
                using var root = Math.Sqrt(correction2).ToScalar();
                Tensor denominator;
                if (amsgrad)
                {
                    var previous = state.max_exp_avg_sq;
                    state.max_exp_avg_sq = maximum(previous, state.exp_avg_sq).DetachFromDisposeScope();
                    previous.Dispose();
                    denominator = state.max_exp_avg_sq.sqrt().div(root).add_(epsilon, HeldScalars.One);
                }
                else
                {
                    denominator = state.exp_avg_sq.sqrt().div(root).add_(epsilon, HeldScalars.One);
                }
                using var stepSize = (-(lr / correction1)).ToScalar();
                param.addcdiv_(state.exp_avg, denominator, stepSize);
            }
        }, closure);
}
