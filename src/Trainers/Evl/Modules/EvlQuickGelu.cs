using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Evl.Modules;

/// <summary>QuickGELU, <c>x·σ(1.702x)</c> (weightless; a module so the MLP's Sequential names match: <c>fc1, act, dropout, fc2</c>).</summary>
internal sealed class EvlQuickGelu : nn.Module<Tensor, Tensor>
{
    public EvlQuickGelu() : base("QuickGELU")
    {
    }

    private static readonly Scalar Sharpness = 1.702.ToScalar();   // held, not implicit (MLNetVideo.Runtime.HeldScalars)

    public override Tensor forward(Tensor x) => x * sigmoid(x.mul(Sharpness));
}
