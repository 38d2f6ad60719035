using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip.Modules;

/// <summary>CLIP's QuickGELU, <c>x·σ(1.702x)</c> (weightless; kept as a module so Sequential indices match).</summary>
internal sealed class QuickGelu : nn.Module<Tensor, Tensor>
{
    public QuickGelu() : base(nameof(QuickGelu))
    {
    }

    public override Tensor forward(Tensor x) => x * sigmoid(x * 1.702);
}
