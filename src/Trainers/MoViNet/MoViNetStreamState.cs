using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// The explicit streaming state of one MoViNet stream network (STYLE B8): named tensors plus the number of frames seen.
/// The network reads the current tensors and writes replacements during a call; <see cref="Commit"/> swaps them in (old
/// tensors are disposed) and advances the frame count, <see cref="Discard"/> drops them after a failed call.
/// Names: "bX_lY.stream_buffer" [N, C_expand, k_t − 1, H', W'], "bX_lY.se_pool_sum" [N, C_expand, 1, 1, 1],
/// "head.pool_sum" [N, C_head, 1, 1, 1]; the frame count is <see cref="FramesSeen"/> ("frame_count").
/// </summary>
internal sealed class MoViNetStreamState : IDisposable
{
    private readonly Dictionary<string, Tensor> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _next = new(StringComparer.Ordinal);

    /// <summary>Frames consumed so far ("frame_count").</summary>
    public long FramesSeen { get; private set; }

    /// <summary>The committed tensors by name.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors => _current;

    /// <summary>The committed tensor <paramref name="name"/>, or zeros of <paramref name="shape"/> like <paramref name="like"/>
    /// when the state is fresh (zeros are exactly causal zero padding / an empty running sum).</summary>
    public Tensor GetOrZeros(string name, long[] shape, Tensor like)
    {
        if (_current.TryGetValue(name, out var tensor))
        {
            if (!tensor.shape.SequenceEqual(shape))
                throw new ArgumentException(
                    $"The stream state '{name}' holds [{string.Join(", ", tensor.shape)}] but this input needs [{string.Join(", ", shape)}]: " +
                    "batch size and frame size must stay the same for the life of a stream (call Reset to change them).");
            return tensor;
        }
        return zeros(shape, dtype: like.dtype, device: like.device);
    }

    /// <summary>Stages the replacement of <paramref name="name"/> (kept out of every dispose scope).</summary>
    public void Set(string name, Tensor value)
    {
        var owned = value.contiguous().clone().DetachFromDisposeScope();
        if (_next.Remove(name, out var staged)) staged.Dispose();
        _next[name] = owned;
    }

    /// <summary>Swaps the staged tensors in (disposing the ones they replace) and adds <paramref name="frames"/> to the count.</summary>
    public void Commit(long frames)
    {
        foreach (var (name, value) in _next)
        {
            if (_current.Remove(name, out var old)) old.Dispose();
            _current[name] = value;
        }
        _next.Clear();
        FramesSeen += frames;
    }

    /// <summary>Drops the staged tensors (after a failed call).</summary>
    public void Discard()
    {
        foreach (var value in _next.Values) value.Dispose();
        _next.Clear();
    }

    /// <summary>Back to the empty state (zero buffers, zero sums, no frames).</summary>
    public void Reset()
    {
        Discard();
        foreach (var value in _current.Values) value.Dispose();
        _current.Clear();
        FramesSeen = 0;
    }

    /// <inheritdoc />
    public void Dispose() => Reset();
}
