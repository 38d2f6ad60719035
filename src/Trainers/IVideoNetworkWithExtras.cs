using static TorchSharp.torch;

namespace MLNetVideo.Trainers;

/// <summary>A network that computes per-clip figures besides its logits (for example AFNet's selected-frame ratio); the
/// scoring transformer writes them as the family's <see cref="VideoBackbone.ExtraOutputColumns"/>.</summary>
public interface IVideoNetworkWithExtras
{
    /// <summary>Logits and extras of a batch (eval mode, inside the caller's dispose scope).</summary>
    /// <param name="clips">Clips in the network's layout.</param>
    /// <returns>Logits [N, classes] and extras [N, extras].</returns>
    (Tensor Logits, Tensor Extras) RunWithExtras(Tensor clips);
}
