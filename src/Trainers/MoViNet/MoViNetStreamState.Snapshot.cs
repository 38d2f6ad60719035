using static TorchSharp.torch;

namespace MLNetVideo.Trainers.MoViNet;

internal sealed partial class MoViNetStreamState
{
    /// <summary>Replaces the state with <paramref name="tensors"/> (taken over, detached from every dispose scope) after
    /// <paramref name="framesSeen"/> frames.</summary>
    public void Restore(IReadOnlyDictionary<string, Tensor> tensors, long framesSeen)
    {
        Reset();
        foreach (var (name, value) in tensors)
            _current[name] = value.DetachFromDisposeScope();
        FramesSeen = framesSeen;
    }
}
