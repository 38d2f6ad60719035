using MLNetVideo.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>Parameterless activation (keeps its index in a Sequential, like <c>classifier.1</c> of the Atze00 port).</summary>
internal sealed class Activation : Module<Tensor, Tensor>
{
    // Held, not implicit: HeldScalars says why.
    private static readonly Scalar HardSigmoidSlope = 0.2.ToScalar();
    private static readonly Scalar HardSigmoidOffset = 0.5.ToScalar();
    private static readonly Scalar ClampLow = 0.0.ToScalar();
    private static readonly Scalar ClampHigh = 1.0.ToScalar();
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
        MoViNetActivation.HardSigmoid => x.mul(HardSigmoidSlope).add(HardSigmoidOffset, HeldScalars.One).clamp(ClampLow, ClampHigh),
        MoViNetActivation.TorchHardSigmoid => functional.hardsigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };
}
