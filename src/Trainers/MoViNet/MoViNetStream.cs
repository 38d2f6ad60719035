using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// A streaming session on a trained MoViNet stream network: push frames as they arrive (any number at a time) and get the
/// logits of everything seen so far, with memory that does not grow with the video. Create it with
/// <c>model.CreateStream()</c> on a trained or loaded model (<see cref="MoViNetStreaming"/>).
/// </summary>
/// <remarks>
/// <para>State (STYLE B8), owned by the session, named and shaped as <see cref="StateShapes"/> reports
/// (see <see cref="MoViNetNetwork.StateShapes"/>): "bX_lY.stream_buffer" [N, C_expand, k_t − 1, H', W'] holds the last
/// k_t − 1 frames entering each causal temporal conv (k_t = 3 or 5), "bX_lY.se_pool_sum" [N, C_expand, 1, 1, 1] and
/// "head.pool_sum" [N, C_head, 1, 1, 1] the running sums of the cumulative poolings, and <see cref="FramesSeen"/>
/// ("frame_count") the frames consumed. With the temporal ensemble the names are prefixed "model_0." / "model_1.".
/// Pushing the frames of a clip in any chunking gives the logits of <see cref="MoViNetNetwork.ForwardPerFrame"/> at the
/// same frame (to float error).</para>
/// <para>One session is not thread-safe, but any number of sessions may run at once on one network: the network is in
/// eval mode and stateless. Each <see cref="Push(Tensor)"/> runs under <c>inference_mode</c> in its own dispose scope;
/// the state is double-buffered (each push writes the new state into spare tensors with <c>copy_</c>), so after the
/// second push streaming allocates no long-lived memory. Dispose the session to free its state.</para>
/// </remarks>
public sealed partial class MoViNetStream : IDisposable
{
    private readonly IReadOnlyList<MoViNetNetwork> _members;
    private readonly MoViNetStreamState[] _states;
    private readonly Tensor?[] _lastLogits;
    private readonly Device _device;
    private bool _disposed;

    internal MoViNetStream(IReadOnlyList<MoViNetNetwork> members, Device device)
    {
        if (members.Count is < 1 or > 2 || members.Any(m => m.Spec.Mode != MoViNetMode.Stream))
            throw new InvalidOperationException(
                "Streaming needs a MoViNet stream network (MoViNetMode.Stream): the base network's convs and poolings look at future frames.");
        _members = members;
        _device = device;
        _states = members.Select(_ => new MoViNetStreamState()).ToArray();
        _lastLogits = new Tensor?[members.Count];
        NumClasses = members[0].Spec.NumClasses;
    }

    /// <summary>Classes in the logits.</summary>
    public int NumClasses { get; }

    /// <summary>The input the model expects (frame size, resize, pixel normalization), used by
    /// <see cref="MoViNetStreaming.StreamVideoFile"/>: set from the trained model by <see cref="MoViNetStreaming.CreateStream(Microsoft.ML.ITransformer)"/>
    /// (its training frame size, RGB in [0, 1], stretched) or, for a model that includes its LoadVideoFrames step, from that
    /// step; <see langword="null"/> for a stream opened on a bare network. Settable to match a custom preprocessing.</summary>
    public MoViNetFrameFormat? InputFormat { get; set; }

    /// <summary>Frames consumed since creation or the last <see cref="Reset"/> ("frame_count").</summary>
    public long FramesSeen => _states.Sum(s => s.FramesSeen);

    /// <summary>Names and shapes of the state tensors now held (empty before the first push).</summary>
    public IReadOnlyDictionary<string, long[]> StateShapes
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var result = new Dictionary<string, long[]>(StringComparer.Ordinal);
            for (int m = 0; m < _states.Length; m++)
                foreach (var (name, tensor) in _states[m].Tensors)
                    result[Prefix(m) + name] = tensor.shape;
            return result;
        }
    }

    /// <summary>Floats held in the state tensors (constant once the first frame has been pushed).</summary>
    public long StateElementCount => StateShapes.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b));

    /// <summary>Consumes frames and returns the logits of every frame seen so far.</summary>
    /// <param name="frames">[N, 3, t, H, W] or [3, t, H, W] (t ≥ 1), RGB in the range the model was trained on; N, H and W must
    /// stay the same for the life of the stream.</param>
    /// <returns>Logits [N, classes] (in the caller's dispose scope).</returns>
    public Tensor Push(Tensor frames)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frames.dim() == 4) frames = frames.unsqueeze(0);
        if (frames.dim() != 5 || frames.shape[2] < 1)
            throw new ArgumentException($"Push expects frames [N, 3, t, H, W] or [3, t, H, W] with t >= 1; got [{string.Join(", ", frames.shape)}].", nameof(frames));
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        var x = frames.to(_device);
        long t = x.shape[2];
        long globalStart = FramesSeen;
        try
        {
            for (int m = 0; m < _members.Count; m++)
            {
                Tensor part;
                if (_members.Count == 1)
                {
                    part = x;
                }
                else
                {
                    long start = (m - (globalStart % 2) + 2) % 2;   // frame i has global index globalStart + i; member m takes parity m
                    if (start >= t) continue;
                    part = x.slice(2, start, t, 2);
                }
                var logits = _members[m].Forward(part, _states[m], perFrame: false);
                _lastLogits[m]?.Dispose();
                _lastLogits[m] = logits.clone().DetachFromDisposeScope();
                _states[m].Commit(part.shape[2]);
            }
        }
        catch
        {
            foreach (var s in _states) s.Discard();
            throw;
        }
        var seen = _lastLogits.Where(l => l is not null).Select(l => l!).ToArray();
        var result = seen.Length == 1 ? seen[0].clone() : stack(seen).mean([0L]);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Consumes frames of one stream given as floats and returns its logits so far.</summary>
    /// <param name="frames">t frames, each 3 × <paramref name="height"/> × <paramref name="width"/> floats (channel-major
    /// within a frame), frame after frame.</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <returns>Logits [classes].</returns>
    public float[] Push(float[] frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(frames);
        long frameSize = 3L * height * width;
        if (height < 1 || width < 1 || frames.Length == 0 || frames.Length % frameSize != 0)
            throw new ArgumentException($"frames must hold t ≥ 1 frames of 3 × {height} × {width} floats; got {frames.Length} floats.", nameof(frames));
        using var scope = NewDisposeScope();
        long t = frames.Length / frameSize;
        var x = tensor(frames, [t, 3, height, width]).permute(1, 0, 2, 3).unsqueeze(0);
        return Push(x).cpu().data<float>().ToArray();
    }

    /// <summary>Back to an empty stream (zero buffers and sums, no frames seen).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var s in _states) s.Reset();
        for (int m = 0; m < _lastLogits.Length; m++)
        {
            _lastLogits[m]?.Dispose();
            _lastLogits[m] = null;
        }
    }

    /// <summary>Frees the state.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Reset();
        _disposed = true;
    }

    private string Prefix(int member) => _members.Count == 1 ? "" : $"model_{member}.";
}
