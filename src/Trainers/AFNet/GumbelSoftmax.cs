using TorchSharp;
using MLNetVideo.Runtime;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// Hard Gumbel-Softmax sampling with the straight-through estimator, as AFNet's navigation modules use it (BeSpontaneous/AFNet-pytorch;
/// the reference's <c>GumbleSoftmax</c> with <c>force_hard=True</c>).
/// </summary>
internal static class GumbelSoftmax
{
    /// <summary>ε of the Gumbel noise: g = −log(ε − log(u + ε)), u ~ U(0, 1).</summary>
    public const double Epsilon = 1e-10;

    /// <summary>One hard sample per row over the last dimension: forward value one-hot(argmax((logits + g) / τ)), gradient that
    /// of the soft sample softmax((logits + g) / τ) (y_hard − stop_grad(y) + y).</summary>
    /// <param name="logits">[..., K] unnormalised log-probabilities.</param>
    /// <param name="temperature">τ &gt; 0.</param>
    /// <param name="noise">Add Gumbel noise (training); false gives the deterministic argmax with the same gradient form.</param>
    /// <param name="noiseScale">Multiplies the Gumbel noise (1 = the reference; 0 = the deterministic argmax, as at inference).</param>
    /// <returns>Same shape as <paramref name="logits"/>, one-hot along the last dimension.</returns>
    public static Tensor HardStraightThrough(Tensor logits, double temperature, bool noise = true, double noiseScale = 1.0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        if (!(temperature > 0))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, $"The temperature must be positive; got {temperature}.");
        using var scope = NewDisposeScope();
        var z = logits;
        if (!(noiseScale >= 0))
            throw new ArgumentOutOfRangeException(nameof(noiseScale), noiseScale, $"The noise scale must be non-negative; got {noiseScale}.");
        if (noise)
        {
            // Drawn even at scale 0, so that the random stream (and every later draw) does not depend on the scale.
            // logits − log(ε − log(u + ε))·scale, with every Scalar held across its native call (HeldScalars says why).
            var u = rand_like(logits).detach();
            using var epsilon = Epsilon.ToScalar();
            using var scale = noiseScale.ToScalar();
            z = logits - u.add(epsilon, HeldScalars.One).log().negative().add(epsilon, HeldScalars.One).log().mul(scale);
        }
        using var temperatureScalar = temperature.ToScalar();
        var soft = nn.functional.softmax(z.div(temperatureScalar), -1);
        var hard = nn.functional.one_hot(soft.argmax(-1), soft.shape[^1]).to(soft.dtype);
        return (hard - soft.detach()).add(soft, HeldScalars.One).MoveToOuterDisposeScope();
    }
}
