using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>A copy of a network's first-stage batch-norm buffers (running mean, variance, batch count), written back on
/// disposal: recomputation passes then leave the running statistics as they found them.</summary>
internal sealed class ShallowStatisticsSnapshot : IDisposable
{
    private readonly List<(Tensor Buffer, Tensor Copy)> _saved = [];

    internal ShallowStatisticsSnapshot(IEnumerable<Tensor> buffers)
    {
        using var noGrad = no_grad();
        foreach (var buffer in buffers)
            _saved.Add((buffer, buffer.detach().clone().DetachFromDisposeScope()));
    }

    public void Dispose()
    {
        using var noGrad = no_grad();
        foreach (var (buffer, copy) in _saved)
        {
            buffer.copy_(copy);
            copy.Dispose();
        }
        _saved.Clear();
    }
}
