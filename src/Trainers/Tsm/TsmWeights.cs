using MLNetVideo.Weights;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>
/// Key mappings from known checkpoints to <see cref="TsmNetwork"/>'s state-dict names (torchvision ResNet names with the
/// shifted <c>conv1</c> of every block wrapped as <c>conv1.net</c>; classifier <c>fc</c>).
/// </summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>Checkpoint</term><description>Keys → ours</description></listheader>
/// <item><term>TSM reference (mit-han-lab/temporal-shift-module, <c>TSM_*_RGB_resnet50_shift8_blockres_avg_segment*.pth</c>;
/// a dict whose <c>state_dict</c> holds the weights)</term>
/// <description><c>module.base_model.conv1.weight</c> → <c>conv1.weight</c>; <c>module.base_model.layer1.0.conv1.net.weight</c> →
/// <c>layer1.0.conv1.net.weight</c> (identical below the prefix); <c>module.new_fc.{weight,bias}</c> → <c>fc.{weight,bias}</c>
/// (the reference replaces torchvision's <c>fc</c> by a dropout and adds <c>new_fc</c> outside <c>base_model</c>). Use
/// <see cref="ReferenceCheckpoint"/> with a <see cref="TsmSpec"/> of depth 50, shift divisor 8, width 1.0 and the checkpoint's
/// class count (400 for Kinetics, 174 for Something-Something V2). Non-local (<c>_nl</c>) checkpoints add blocks this network
/// does not have and are refused by the importer with the list of unexpected keys.</description></item>
/// <item><term>torchvision ImageNet ResNet-18/34/50 (the initialisation TSM trains from)</term>
/// <description>Identical names except <c>layerX.Y.conv1.weight</c> → <c>layerX.Y.conv1.net.weight</c>; <c>fc</c> has 1,000
/// classes, so import with a head re-initialised (<see cref="ImportOptions"/>) or drop <c>fc.*</c>. Use <see cref="TorchvisionResNet"/>.</description></item>
/// <item><term>MMAction2 TSM re-trainings</term>
/// <description><c>backbone.layer1.0.conv1.conv.net.weight</c> / <c>backbone.layer1.0.conv1.bn.*</c> (ConvModule naming) and
/// <c>cls_head.fc_cls.*</c>: not mapped here (a different module layout; see "No Frame Left Behind", CVPR 2021).</description></item>
/// </list>
/// </remarks>
public static class TsmWeights
{
    /// <summary>The TSM reference checkpoints' keys (DataParallel <c>module.</c>, <c>base_model.</c>, <c>new_fc</c>) → ours.</summary>
    public static KeyMapping ReferenceCheckpoint { get; } =
        KeyMapping.StripPrefix("module.")
            .Then(KeyMapping.StripPrefix("base_model."))
            .Then(KeyMapping.RenameRegex(@"new_fc\.(weight|bias)", "fc.$1"));

    /// <summary>The TSM reference checkpoints as released: a (legacy, pre-1.6) <c>torch.save</c> of
    /// <c>{epoch, arch, state_dict, best_prec1, …}</c> whose <c>state_dict</c> is read through <see cref="ReferenceCheckpoint"/>.</summary>
    public static CheckpointLayout Official { get; } =
        new("TSM (mit-han-lab/temporal-shift-module)", "state_dict", ReferenceCheckpoint, "new_fc.weight");

    /// <summary>torchvision ResNet keys → ours (the block's <c>conv1</c> gains the <c>.net</c> of the shift wrapper).</summary>
    public static KeyMapping TorchvisionResNet { get; } =
        KeyMapping.RenameRegex(@"(layer\d+\.\d+)\.conv1\.weight", "$1.conv1.net.weight");

    /// <summary>torchvision's ImageNet ResNet-18/34/50 files (<c>resnet50-*.pth</c>, a flat state dict): the initialisation the
    /// TSM reference fine-tunes from. Its 1,000-class <c>fc</c> is re-initialised by a trainer for another class count.</summary>
    public static CheckpointLayout TorchvisionImageNet { get; } =
        new("torchvision ImageNet ResNet", null, TorchvisionResNet, "layer1.0.conv1.weight");
}
