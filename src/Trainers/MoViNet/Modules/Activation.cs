using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>Parameterless activation (keeps its index in a Sequential, like <c>classifier.1</c> of the Atze00 port).</summary>
internal sealed class Activation : Module<Tensor, Tensor>
{
    private readonly MoViNetActivation _kind;

    public Activation(MoViNetActivation kind) : base(nameof(Activation)) => _kind = kind;

    public override Tensor forward(Tensor x) => Apply(x, _kind);

    /// <summary>swish = x·σ(x); hard swish = x·relu6(x+3)/6; hard sigmoid = clip(0.2·x + 0.5, 0, 1), Keras' definition,
    /// which the released stream checkpoints were trained and exported with (docs/components/MoViNet.md, "Activations").</summary>
    public static Tensor Apply(Tensor x, MoViNetActivation kind) => kind switch
    {
        MoViNetActivation.None => x,
        MoViNetActivation.Swish => functional.silu(x),
        MoViNetActivation.HardSwish => functional.hardswish(x),
        MoViNetActivation.Sigmoid => x.sigmoid(),
        MoViNetActivation.HardSigmoid => (x * 0.2 + 0.5).clamp(0.0, 1.0),
        MoViNetActivation.TorchHardSigmoid => functional.hardsigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
