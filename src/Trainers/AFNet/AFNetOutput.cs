using static TorchSharp.torch;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>The result of <see cref="AFNetNetwork.Run(Tensor, AFNetRunOptions?)"/>. Its tensors belong to the caller's dispose scope.</summary>
/// <param name="Logits">[N, classes].</param>
/// <param name="SelectedFrameRatio">[N]: per clip, the fraction of frames selected, averaged over the navigation modules.</param>
/// <param name="Masks">Each navigation module's mask [N, T] (straight-through values in training).</param>
/// <param name="Trace">Executed cost when <see cref="AFNetRunOptions.Trace"/> was set, else null.</param>
internal sealed record AFNetOutput(Tensor Logits, Tensor SelectedFrameRatio, IReadOnlyList<Tensor> Masks, AFNetExecutionTrace? Trace)
{
    /// <summary>Each navigation module's [skip, keep] logits [N, T, 2] (empty where the masks were forced).</summary>
    public IReadOnlyList<Tensor> NavigationLogits { get; init; } = [];
}
