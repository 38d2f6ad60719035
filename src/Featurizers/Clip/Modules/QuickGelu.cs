using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip.Modules;

/// <summary>CLIP's QuickGELU, <c>x·σ(1.702x)</c> (weightless; kept as a module so Sequential indices match).</summary>
internal sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    public QuickGelu() : base(nameof(QuickGelu))
    {
    }

    private static readonly Scalar Sharpness = 1.702.ToScalar();   // held, not implicit (MLNetVideo.Runtime.HeldScalars)

    public override Tensor forward(Tensor x) => x * sigmoid(x.mul(Sharpness));
}
