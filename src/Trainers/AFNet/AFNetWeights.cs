using MLNetVideo.Weights;

namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// Key mappings from the official AFNet checkpoints (BeSpontaneous/AFNet-pytorch, BeSpontaneous/AFNet-pytorch) to
/// <see cref="AFNetNetwork"/>'s state-dict names.
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Checkpoint</term><description>Keys → ours</description></listheader>
/// <item><term>Video models (Something-Something V1, <c>state_dict</c> of the saved dict)</term>
/// <description><c>module.base_model.layer1.list_gen.0.conv_gs.weight</c> → <c>layer1.list_gen.0.conv_gs.weight</c> (identical
/// below the prefix); <c>module.new_fc.{weight,bias}</c> → <c>fc.{weight,bias}</c>. Build the network with
/// <see cref="AFNetSpecs.For"/>(ResNet50, 174, frames) and the checkpoint's frame count (the navigation's <c>conv_gs</c> has
/// 2T channels).</description></item>
/// <item><term>ImageNet AF-ResNet backbones (<c>AF-ResNet50.pth.tar</c>)</term>
/// <description><c>module.</c> prefix stripped; <c>fc</c> has 1,000 classes and the navigation modules were built for the
/// image setting, so import with <c>fc.*</c> (and any shape-mismatched <c>conv_gs</c>) re-initialised.</description></item>
/// </list>
/// The video mapping is pinned by the golden fixture <c>afnet_r50</c> (keys and outputs of the official code).
/// </remarks>
public static class AFNetWeights
{
    /// <summary>The official video checkpoints' keys (<c>module.</c>, <c>base_model.</c>, <c>new_fc</c>) → ours.</summary>
    public static KeyMapping ReferenceCheckpoint { get; } =
        KeyMapping.StripPrefix("module.")
            .Then(KeyMapping.StripPrefix("base_model."))
            .Then(KeyMapping.RenameRegex(@"new_fc\.(weight|bias)", "fc.$1"));

    /// <summary>The released video checkpoints: a zip <c>torch.save</c> of <c>{epoch, arch, state_dict, optimizer, best_prec1, …}</c>
    /// whose <c>state_dict</c> is read through <see cref="ReferenceCheckpoint"/>.</summary>
    public static CheckpointLayout Official { get; } =
        new("AFNet (BeSpontaneous/AFNet-pytorch)", "state_dict", ReferenceCheckpoint, "base_model.layer1.list_gen.0.conv_gs.weight");
}
