using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// The explicit streaming state of one MoViNet stream network (STYLE B8): named tensors plus the number of frames seen.
/// The network reads the current tensors and writes replacements during a call; <see cref="Commit"/> swaps them in and
/// advances the frame count, <see cref="Discard"/> forgets them after a failed call (so a failed push changes nothing).
/// Double-buffered: every name owns two tensors, the committed one and a spare that the next call writes into with
/// <c>copy_</c>, so that after the first two pushes streaming allocates no long-lived memory at all (replacing the state
/// with fresh tensors on every push interleaved long-lived blocks with per-push activations in the native heap and made
/// the process's resident memory creep up with the number of frames).
/// Names: "bX_lY.stream_buffer" [N, C_expand, k_t − 1, H', W'], "bX_lY.se_pool_sum" [N, C_expand, 1, 1, 1],
/// "head.pool_sum" [N, C_head, 1, 1, 1]; the frame count is <see cref="FramesSeen"/> ("frame_count").
/// </summary>
internal sealed partial class MoViNetStreamState : IDisposable
{
    private readonly Dictionary<string, Tensor> _current = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _next = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _spare = new(StringComparer.Ordinal);

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

    /// <summary>Stages the replacement of <paramref name="name"/>: copied into this name's spare tensor (allocated once,
    /// outside every dispose scope).</summary>
    public void Set(string name, Tensor value)
    {
        if (_next.Remove(name, out var staged))
            Keep(name, staged);
        if (_spare.Remove(name, out var spare) && !(spare.shape.SequenceEqual(value.shape) && spare.dtype == value.dtype && spare.device == value.device))
        {
            spare.Dispose();
            spare = null;
        }
        spare ??= empty(value.shape, dtype: value.dtype, device: value.device).DetachFromDisposeScope();
        spare.copy_(value);
        _next[name] = spare;
    }

    /// <summary>Swaps the staged tensors in (the ones they replace become the spares) and adds <paramref name="frames"/> to the count.</summary>
    public void Commit(long frames)
    {
        foreach (var (name, value) in _next)
        {
            if (_current.Remove(name, out var old)) Keep(name, old);
            _current[name] = value;
        }
        _next.Clear();
        FramesSeen += frames;
    }

    /// <summary>Forgets the staged tensors (after a failed call); the committed state is untouched.</summary>
    public void Discard()
    {
        foreach (var (name, value) in _next) Keep(name, value);
        _next.Clear();
    }

    /// <summary>Back to the empty state (zero buffers, zero sums, no frames); frees every tensor.</summary>
    public void Reset()
    {
        foreach (var value in _next.Values.Concat(_current.Values).Concat(_spare.Values)) value.Dispose();
        _next.Clear();
        _current.Clear();
        _spare.Clear();
        FramesSeen = 0;
    }

    private void Keep(string name, Tensor tensor)
    {
        if (_spare.Remove(name, out var previous)) previous.Dispose();
        _spare[name] = tensor;
    }

    /// <inheritdoc />
    public void Dispose() => Reset();
}
