using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace MLNetVideo.Trainers.MoViNet.Modules;

/// <summary>
/// Average pool 1×k×k for the projected skip: TF 'SAME' (asymmetric) padding that is excluded from the average
/// (<c>count_include_pad=False</c>, Model Garden movinet.py). No weights, so it keeps index <c>res.0</c> empty as in the Atze00 port.
/// </summary>
internal sealed class SkipPool : Module<Tensor, Tensor>
{
    private readonly Triple _kernel;
    private readonly Triple _stride;

    public SkipPool(Triple kernel, Triple stride) : base(nameof(SkipPool))
    {
        _kernel = kernel;
        _stride = stride;
    }

    public override Tensor forward(Tensor x)
    {
        var padded = ConvUnit.SamePadSpatial(x, _kernel, _stride);
        var ones = ConvUnit.SamePadSpatial(ones_like(x.narrow(1, 0, 1).narrow(0, 0, 1)), _kernel, _stride);
        var sum = functional.avg_pool3d(padded, _kernel.ToArray(), _stride.ToArray());
        var count = functional.avg_pool3d(ones, _kernel.ToArray(), _stride.ToArray());
        return sum / count;
    }
}
