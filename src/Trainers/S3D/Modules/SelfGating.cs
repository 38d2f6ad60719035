using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.S3D.Modules;

/// <summary>
/// S3D-G self-gating: <c>y = sigmoid(fc(mean over T,H,W of x)) · x</c>, one gate per channel, conditioned on the whole clip.
/// The gate is a <c>Linear(C, C)</c> <b>with</b> bias named <c>fc</c>, as in the HowTo100M PyTorch port of S3D-G
/// (the only public S3D-G weights); TF-Slim uses a bias-free 1×1×1 conv, which differs by C parameters per gate.
/// </summary>
internal sealed class SelfGating : Module<Tensor, Tensor>
{
    private readonly Linear fc;

    public SelfGating(long channels) : base(nameof(SelfGating))
    {
        fc = Linear(channels, channels, hasBias: true);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var context = x.mean([2L, 3L, 4L]);
        var gate = functional.sigmoid(fc.call(context));
        return x * gate.view(gate.shape[0], gate.shape[1], 1, 1, 1);
    }
}
