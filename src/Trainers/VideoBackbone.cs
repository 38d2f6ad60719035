using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers;

/// <summary>
/// One family of video networks, without its spec type: names, ids, input and output, for code that handles every family
/// alike (the CLI's model registry, reports). The typed descriptor is <see cref="VideoBackbone{TSpec}"/>.
/// </summary>
public abstract class VideoBackbone
{
    /// <summary>Names the family.</summary>
    /// <param name="familyName">Family name used in logs, messages and checkpoints (for example "S3D").</param>
    /// <param name="componentId">Stable id written into the model zip (never a type name, so classes can move); register
    /// it for <see cref="VideoClassifierTransformer{TSpec}"/> with a <c>PersistentTransformer</c> assembly attribute.</param>
    /// <param name="networkLayout">Dimension order the network takes.</param>
    private protected VideoBackbone(string familyName, string componentId, ClipLayout networkLayout)
    {
        FamilyName = familyName;
        ComponentId = componentId;
        NetworkLayout = networkLayout;
    }

    /// <summary>Family name used in logs, messages and checkpoints (for example "S3D").</summary>
    public string FamilyName { get; }

    /// <summary>Stable id written into the model zip (never a type name, so classes can move).</summary>
    public string ComponentId { get; }

    /// <summary>Older ids this family's zips may carry; they load as <see cref="ComponentId"/>. Default none.</summary>
    public virtual IReadOnlyList<string> ComponentIdAliases => [];

    /// <summary>Version of the family's zip entries; bump it when their layout changes (and teach the typed descriptor's
    /// <c>UpgradeSpec</c> and <c>UpgradeWeight</c> the older one). Default 1.</summary>
    public virtual int ContentVersion => 1;

    /// <summary>Oldest content version this MLNetVideo still loads. Default <see cref="ContentVersion"/>.</summary>
    public virtual int OldestContentVersion => ContentVersion;

    /// <summary>Dimension order the network takes; the trainer and the transformer convert the column's layout to it.</summary>
    public ClipLayout NetworkLayout { get; }

    /// <summary>What one view must hold for any spec of the family.</summary>
    public abstract ClipRequirements Input { get; }

    /// <summary>Input range and normalisation the family's published weights expect (documentation, messages).</summary>
    public abstract string Normalization { get; }

    /// <summary>Extra <see cref="float"/> columns the family's scoring writes after PredictedLabel (one value per row), in
    /// order; the network provides them through <see cref="IVideoNetworkWithExtras"/>. Default none.</summary>
    public virtual IReadOnlyList<string> ExtraOutputColumns => [];

    /// <summary>Whether this family writes or reads <paramref name="componentId"/>.</summary>
    /// <param name="componentId">An id from a zip.</param>
    /// <returns>True for <see cref="ComponentId"/> and its aliases.</returns>
    public bool Owns(string componentId) => componentId == ComponentId || ComponentIdAliases.Contains(componentId);
}

/// <summary>
/// One family of video networks, said once: how it is named in model zips, how a spec becomes a network, what input it
/// takes, which published checkpoints it imports, how its state-dict keys split into head and stages, and what a clip
/// costs. The trainer, the scoring transformer (<see cref="VideoClassifierTransformer{TSpec}"/>), the CLI and the
/// benchmarks all ask it; nothing else builds the family's networks. docs/AddingABackbone.md walks through one.
/// </summary>
/// <typeparam name="TSpec">The family's architecture spec (JSON-serialisable, stored in the zip as <c>Spec.json</c>).</typeparam>
/// <param name="familyName">Family name used in logs, messages and checkpoints (for example "S3D").</param>
/// <param name="componentId">Stable id written into the model zip; register it for <see cref="VideoClassifierTransformer{TSpec}"/>
/// with a <c>PersistentTransformer</c> assembly attribute (VideoBackbones.cs).</param>
/// <param name="networkLayout">Dimension order the network takes (the trainer and the transformer convert the column's layout to it).</param>
public abstract class VideoBackbone<TSpec>(string familyName, string componentId, ClipLayout networkLayout) : VideoBackbone(familyName, componentId, networkLayout)
    where TSpec : class
{
    /// <inheritdoc />
    public sealed override ClipRequirements Input => InputFor(null);

    /// <summary>What one view must hold for <paramref name="spec"/> (or, with null, for any spec of the family).</summary>
    /// <param name="spec">The spec, or null before it is known.</param>
    /// <returns>The requirements.</returns>
    public abstract ClipRequirements InputFor(TSpec? spec);

    /// <summary>Builds the untrained network on the CPU (the caller seeds torch first when it matters).</summary>
    /// <param name="spec">The spec.</param>
    /// <returns>A module from clips in <see cref="VideoBackbone.NetworkLayout"/> to logits [N, classes].</returns>
    public abstract nn.Module<Tensor, Tensor> CreateNetwork(TSpec spec);

    /// <summary>The published checkpoint layouts the family imports, most likely first for <paramref name="spec"/>; this
    /// library's own names (with or without a <c>module.</c> prefix) are always tried after them. Default none.</summary>
    /// <param name="spec">The spec the weights go into.</param>
    /// <returns>The layouts.</returns>
    public virtual IReadOnlyList<CheckpointLayout> CheckpointLayouts(TSpec spec) => [];

    /// <summary>Whether a state-dict key belongs to the classification head (the layer whose shape depends on the class count).</summary>
    /// <param name="key">A key of the network's state dict.</param>
    /// <returns>True for the head.</returns>
    public abstract bool IsHeadKey(string key);

    /// <summary>How many backbone stages fine-tuning can freeze (the stem counts as one). Default 0.</summary>
    /// <param name="spec">The spec.</param>
    /// <returns>The stage count.</returns>
    public virtual int StageCount(TSpec spec) => 0;

    /// <summary>The backbone stage (0 = the stem) of a state-dict key; -1 outside the stages (the head). Default -1.</summary>
    /// <param name="key">A key of the network's state dict.</param>
    /// <returns>The stage, or -1.</returns>
    public virtual int StageOf(string key) => -1;

    /// <summary>Analytic multiply-accumulates of one view, or null when the family has no formula (the CLI then counts
    /// convolution and linear layers with hooks).</summary>
    /// <param name="spec">The spec.</param>
    /// <param name="clip">One view's geometry.</param>
    /// <returns>The MACs, or null.</returns>
    public virtual double? MultiplyAccumulates(TSpec spec, ClipGeometry clip) => null;

    /// <summary>Multiply-accumulates the family measures on a clip itself (AFNet: the cost of the frames its navigation
    /// selected), or null (default) to count layers with hooks.</summary>
    /// <param name="model">The fitted model.</param>
    /// <param name="row">One row of the clip column.</param>
    /// <returns>The MACs, or null.</returns>
    public virtual double? MeasuredMultiplyAccumulates(VideoClassifierTransformer<TSpec> model, float[] row) => null;

    /// <summary>Adjusts the spec of a zip saved with an older content version before its network is built. Default: as saved.</summary>
    /// <param name="spec">The spec read from the zip.</param>
    /// <param name="contentVersion">The zip's content version (between <see cref="VideoBackbone.OldestContentVersion"/> and <see cref="VideoBackbone.ContentVersion"/>).</param>
    /// <returns>The spec to build.</returns>
    public virtual TSpec UpgradeSpec(TSpec spec, int contentVersion) => spec;

    /// <summary>Maps one saved weight of an older content version to today's key and shape, or null to drop it. Only called
    /// for versions below <see cref="VideoBackbone.ContentVersion"/>. Default: unchanged.</summary>
    /// <param name="key">The saved key.</param>
    /// <param name="value">The saved tensor.</param>
    /// <param name="contentVersion">The zip's content version.</param>
    /// <returns>Today's key and tensor, or null.</returns>
    public virtual (string Key, Tensor Value)? UpgradeWeight(string key, Tensor value, int contentVersion) => (key, value);
}

/// <summary>A family's descriptor with its one instance (<see cref="Instance"/>); families derive from this.</summary>
/// <typeparam name="TSpec">The family's architecture spec.</typeparam>
/// <typeparam name="TSelf">The family's descriptor type.</typeparam>
/// <param name="familyName">Family name used in logs, messages and checkpoints (for example "S3D").</param>
/// <param name="componentId">Stable id written into the model zip (VideoBackbones.cs registers it).</param>
/// <param name="networkLayout">Dimension order the network takes (default [C, T, H, W]).</param>
public abstract class VideoBackbone<TSpec, TSelf>(string familyName, string componentId, ClipLayout networkLayout = ClipLayout.Cthw)
    : VideoBackbone<TSpec>(familyName, componentId, networkLayout)
    where TSpec : class
    where TSelf : VideoBackbone<TSpec, TSelf>, new()
{
    /// <summary>The family.</summary>
    public static TSelf Instance { get; } = new();
}
