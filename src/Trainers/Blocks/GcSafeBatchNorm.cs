using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Blocks;

/// <summary>
/// TorchSharp's <c>BatchNorm2d</c>/<c>BatchNorm3d</c> with the one scalar its training forward hands to native code held by
/// the module. TorchSharp 0.107 increments <c>num_batches_tracked</c> with <c>add_(1)</c>: the implicit conversion makes two
/// temporary <see cref="Scalar"/>s (value and alpha) that nothing references once their handles are read, so a garbage
/// collection plus finalizer run during the native call can free them mid-call (a rare <c>ExternalException</c> such as
/// <c>Scalar::toLong</c> from <c>BatchNorm.forward</c>; TorchSharp pull requests #1434 and #1496).
/// </summary>
/// <remarks>
/// Everything else is TorchSharp's own: the parameters and buffers of <see cref="NormBase"/> (state-dict names
/// <c>weight</c>, <c>bias</c>, <c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>), their initialisation
/// and device/dtype moves, and <see cref="torch.nn.functional.batch_norm"/> with the same running-average factor
/// (the momentum, or 1 / <c>num_batches_tracked</c> when the momentum is null), so outputs and statistics are those of
/// TorchSharp's modules bit for bit. Every batch norm of the networks is one of these; code that looks for batch norms
/// matches <see cref="BatchNorm"/>, the base class of this module and of TorchSharp's.
/// </remarks>
internal sealed class GcSafeBatchNorm : BatchNorm
{
    // Held for the module's lifetime, so it outlives every native call that reads it; disposed with the module.
    private readonly Scalar _one = 1L.ToScalar();
    private readonly long _inputDims;

    private GcSafeBatchNorm(long features, long inputDims, double eps, double momentum, string name)
        : base(features, eps, momentum, affine: true, track_running_stats: true, device: null, dtype: null, name)
    {
        _inputDims = inputDims;
    }

    /// <summary>A batch norm over [N, C, H, W] (TorchSharp's <c>BatchNorm2d</c>).</summary>
    /// <param name="features">C.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">Weight of the batch statistics in the running statistics.</param>
    /// <returns>The module, weight 1, bias 0, running mean 0, running variance 1.</returns>
    public static GcSafeBatchNorm For2d(long features, double eps, double momentum)
        => new(features, 4, eps, momentum, "BatchNorm2d");

    /// <summary>A batch norm over [N, C, T, H, W] (TorchSharp's <c>BatchNorm3d</c>).</summary>
    /// <param name="features">C.</param>
    /// <param name="eps">Added to the variance.</param>
    /// <param name="momentum">Weight of the batch statistics in the running statistics.</param>
    /// <returns>The module, weight 1, bias 0, running mean 0, running variance 1.</returns>
    public static GcSafeBatchNorm For3d(long features, double eps, double momentum)
        => new(features, 5, eps, momentum, "BatchNorm3d");

    /// <summary>How many dimensions the input has: 4 for a 2-D batch norm, 5 for a 3-D one.</summary>
    public long InputDims => _inputDims;

    public override Tensor forward(Tensor input)
    {
        ValidateInputDimensions(input);
        double factor = momentum ?? 0.0;
        if (training && track_running_stats && num_batches_tracked is not null)
        {
            num_batches_tracked.add_(_one, _one);
            if (momentum is null)
                factor = 1.0 / (double)num_batches_tracked;
        }
        bool batchStatistics = training || (running_mean is null && running_var is null);
        bool useRunning = !training || track_running_stats;
        return nn.functional.batch_norm(input, useRunning ? running_mean : null, useRunning ? running_var : null,
            weight, bias, batchStatistics, factor, eps);
    }

    protected override void ValidateInputDimensions(Tensor input)
    {
        if (input.ndim != _inputDims)
            throw new ArgumentException($"{GetName()} expects {_inputDims}-D input [N, C, …], got {input.ndim}-D.", nameof(input));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _one.Dispose();
        base.Dispose(disposing);
    }
}
