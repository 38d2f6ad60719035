using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// What one inference pass of an <see cref="AFNetNetwork"/> actually executed, per clip: multiply-accumulates of every
/// convolution and linear layer counted for the frames it ran on (focal blocks: the selected frames only), the frames each
/// focal block computed, and the frames each navigation module selected. Filled by
/// <see cref="AFNetNetwork.Run(Tensor, AFNetRunOptions?)"/> when <see cref="AFNetRunOptions.Trace"/> is set.
/// </summary>
/// <remarks>
/// Counted: every <c>Conv2d</c> (MACs per frame = weight elements × output height × width, so groups are accounted for) and
/// every <c>Linear</c> (weight elements per row), including the shortcut projections, the navigation modules' convolutions
/// (the per-clip grouped <c>conv_gs</c> once per clip) and the fusion attention. Not counted: batch norm, ReLU, pooling,
/// temporal shift, nearest upsampling, the fusion's element-wise products and the Gumbel sampling (the fvcore/torchvision
/// "GFLOPs = GMACs" convention; the reference's <c>forward_calc_flops</c> also adds pooling and attention element-wise terms).
/// </remarks>
internal sealed class AFNetExecutionTrace
{
    private readonly long[] _macs;
    private readonly List<long> _focalRows = [];
    private readonly List<long[]> _selected = [];

    internal AFNetExecutionTrace(int clips, int frames)
    {
        Clips = clips;
        Frames = frames;
        _macs = new long[clips];
    }

    /// <summary>Clips in the traced batch.</summary>
    public int Clips { get; }

    /// <summary>Frames per clip.</summary>
    public int Frames { get; }

    /// <summary>Executed multiply-accumulates per clip.</summary>
    public IReadOnlyList<long> MultiplyAccumulates => _macs;

    /// <summary>For every focal block in execution order, the number of frame rows (over the whole batch) its convolutions
    /// were run on: the gathered selected frames at inference, never the skipped ones.</summary>
    public IReadOnlyList<long> FocalRowsComputed => _focalRows;

    /// <summary>For every navigation module in execution order, the frames selected in each clip.</summary>
    public IReadOnlyList<long[]> SelectedFrames => _selected;

    internal void AddAll(long perFrame) => Add(perFrame, Frames);

    internal void Add(long perFrame, long framesPerClip)
    {
        for (int i = 0; i < _macs.Length; i++)
            _macs[i] += perFrame * framesPerClip;
    }

    internal void Add(long perFrame, long[] framesPerClip)
    {
        for (int i = 0; i < _macs.Length; i++)
            _macs[i] += perFrame * framesPerClip[i];
    }

    internal void Conv(Conv2d conv, Tensor output, long[]? framesPerClip = null)
    {
        long perFrame = conv.weight!.numel() * output.shape[2] * output.shape[3];
        if (framesPerClip is null) AddAll(perFrame); else Add(perFrame, framesPerClip);
    }

    internal void Linear(Linear linear, long rowsPerClip) => Add(linear.weight!.numel(), rowsPerClip);

    internal void FocalRows(long rows) => _focalRows.Add(rows);

    internal void Selected(long[] perClip) => _selected.Add(perClip);
}
