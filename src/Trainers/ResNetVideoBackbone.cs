using MLNetVideo.Trainers.Common;

namespace MLNetVideo.Trainers;

/// <summary>A family built on torchvision's ResNet (TSM, AFNet): frames in [T, C, H, W], ImageNet-normalised RGB of at
/// least <paramref name="minFrameSize"/>², the head <c>fc</c>, and five freezable stages, the stem (<c>conv1</c>, <c>bn1</c>)
/// then <c>layer1</c> … <c>layer4</c>.</summary>
/// <typeparam name="TSpec">The family's architecture spec.</typeparam>
/// <typeparam name="TSelf">The family's descriptor type.</typeparam>
/// <param name="familyName">Family name used in logs, messages and checkpoints.</param>
/// <param name="componentId">Stable id written into the model zip.</param>
/// <param name="minFrameSize">Smallest frame height and width.</param>
public abstract class ResNetVideoBackbone<TSpec, TSelf>(string familyName, string componentId, int minFrameSize)
    : VideoBackbone<TSpec, TSelf>(familyName, componentId, ClipLayout.Tchw)
    where TSpec : class
    where TSelf : ResNetVideoBackbone<TSpec, TSelf>, new()
{
    /// <inheritdoc />
    public override ClipRequirements InputFor(TSpec? spec) => new(3, 1, minFrameSize);

    /// <inheritdoc />
    public override string Normalization => $"RGB in [0, 1], then ImageNet mean/std (torchvision's ResNets and the official {FamilyName} checkpoints).";

    /// <inheritdoc />
    public override bool IsHeadKey(string key) => key.StartsWith("fc.", StringComparison.Ordinal);

    /// <inheritdoc />
    public override int StageCount(TSpec spec) => 5;

    /// <inheritdoc />
    public override int StageOf(string key) => StageIndex.ResNet(key);
}
