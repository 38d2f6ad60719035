using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// TorchSharp's SGD with the scalars of its update held for the call. TorchSharp 0.107's <c>step()</c> passes C# numbers
/// (the momentum, the alphas, the learning rate) where native code expects Scalars; the temporaries are unreachable once
/// their handles are read, so a collection plus finalizer run during the call can free them (TorchSharp pull requests
/// #1434 and #1496; BENCHMARKS.md, "Reliability: batch norm under forced collections").
/// </summary>
/// <remarks>
/// The update is TorchSharp's, operation for operation (weight decay as L2 on the gradient, heavy-ball momentum with
/// dampening, Nesterov, maximize), and so are the per-parameter state and its saving. The class is named like
/// TorchSharp's because its saved state records the optimizer's type name and refuses another on load: a training
/// checkpoint written with TorchSharp's SGD resumes with this one and back.
/// </remarks>
internal sealed class SGD(IEnumerable<TorchSharp.Modules.SGD.ParamGroup> groups, double lr, double momentum, double weightDecay)
    : TorchSharp.Modules.SGD(groups, lr, momentum, dampening: 0, weight_decay: weightDecay)
{
    public override Tensor step(Func<Tensor>? closure = null)
        => _step<ParamGroup>(group =>
        {
            var options = group.Options;
            double momentum = options.momentum!.Value, dampening = options.dampening!.Value;
            double weightDecay = options.weight_decay!.Value, lr = options.LearningRate!.Value;
            bool nesterov = options.nesterov!.Value, maximize = options.maximize!.Value;
            using var decay = weightDecay.ToScalar();
            using var keep = momentum.ToScalar();
            using var fresh = (1 - dampening).ToScalar();
            using var rate = (maximize ? lr : -lr).ToScalar();
            foreach (var param in group.Parameters)
            {
                var grad = param.grad;
                if (grad is null)
                    continue;
                var state = (State)_state[param.Handle];
                if (weightDecay != 0)
                    grad = grad.add(param, decay);
                if (momentum != 0)
                {
                    var buffer = state.momentum_buffer;
                    if (buffer is null)
                        state.momentum_buffer = buffer = grad.clone().detach().DetachFromDisposeScope();
                    else
                        buffer.mul_(keep).add_(grad, fresh);
                    grad = nesterov ? grad.add(buffer, keep) : buffer;
                }
                param.add_(grad, rate);
            }
        }, closure);
}
