using MLNetVideo.Weights;

namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// The published MoViNet checkpoints in PyTorch, the Atze00 port of the TF Hub models (<c>modelA{0,1,2}_statedict_v3</c>,
/// <c>modelA{0,1,2}_stream_statedict_v3</c>: zip <c>torch.save</c> of the state dict, Kinetics-600), and how they map onto
/// <see cref="MoViNetNetwork"/>.
/// </summary>
/// <remarks>
/// <para>Keys are the port's: <c>conv1.conv_1.*</c>; per layer <c>blocks.bX_lY.expand.conv_1.*</c>, <c>.deep.conv_1.*</c>
/// (stream: spatial part) and <c>.deep.conv_2.*</c> (stream: temporal part), <c>.se.fc1.conv_1.*</c>, <c>.se.fc2.conv_1.*</c>,
/// <c>.project.conv_1.*</c>, <c>.res.{0,1}.conv_1.*</c>, <c>.alpha</c> (a scalar); <c>conv7.conv_1.*</c>,
/// <c>classifier.0.conv_1.*</c>, <c>classifier.3.conv_1.*</c>. Base files use <c>Conv3d</c> (leaf <c>conv3d</c>) and import
/// unchanged. Stream files use <c>Conv2d</c> (leaf <c>conv2d</c>): spatial kernels [C_out, C_in/g, k, k] gain the time
/// axis at dimension 2, the temporal depthwise kernel [C, 1, k_t, 1] gains a trailing width axis.</para>
/// <para>Inputs: RGB in [0, 1] (no mean/std), 172² for A0/A1 and 224² for A2, 50 frames at 5 fps for the reported accuracy.</para>
/// </remarks>
public static class MoViNetWeights
{
    /// <summary>The Atze00 base checkpoints (<c>modelA*_statedict_v3</c>): keys identical to ours.</summary>
    public static CheckpointLayout Atze00Base { get; } =
        new("MoViNet base (Atze00/MoViNet-pytorch)", null, KeyMapping.Identity, "conv1.conv_1.conv3d.weight");

    /// <summary>The Atze00 stream checkpoints (<c>modelA*_stream_statedict_v3</c>): 2-D convs become 3-D.</summary>
    public static CheckpointLayout Atze00Stream { get; } =
        new("MoViNet stream (Atze00/MoViNet-pytorch)", null,
            KeyMapping.Transform(@".*\.conv_2\.conv2d\.weight", t => t.Reshape([.. t.Shape, 1]), "AppendWidthAxis")
                .Then(KeyMapping.Transform(@".*\.conv_1\.conv2d\.weight", t => t.Reshape([t.Shape[0], t.Shape[1], 1, .. t.Shape.Skip(2)]), "InsertTimeAxis"))
                .Then(KeyMapping.RenameRegex(@"(.*)\.conv2d\.(weight|bias)", "$1.conv3d.$2")),
            "conv1.conv_1.conv2d.weight");

    /// <summary>The layout of a mode's official checkpoints.</summary>
    /// <param name="mode">Base or stream.</param>
    /// <returns><see cref="Atze00Base"/> or <see cref="Atze00Stream"/>.</returns>
    public static CheckpointLayout Atze00(MoViNetMode mode) => mode == MoViNetMode.Stream ? Atze00Stream : Atze00Base;

    /// <summary>The Atze00 key of one of this implementation's keys (conv3d → conv2d where the port uses 2-D convs).</summary>
    /// <param name="key">A key of <see cref="MoViNetNetwork"/>'s state dict.</param>
    /// <param name="mode">Base or stream.</param>
    /// <returns>The corresponding key in the Atze00 state dict (same tensor up to the added axis noted in the remarks).</returns>
    public static string ToAtze00Key(string key, MoViNetMode mode)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (mode == MoViNetMode.Base || key.EndsWith(".alpha", StringComparison.Ordinal))
            return key;
        return key.Replace(".conv3d.", ".conv2d.", StringComparison.Ordinal);
    }
}
