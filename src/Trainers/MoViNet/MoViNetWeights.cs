namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// How this implementation's state-dict keys relate to the published MoViNet checkpoints (models.md §2.8), for a later
/// importer built on <c>MLNetVideo.Weights.KeyMapping</c> / <c>StateDictImporter</c>.
/// </summary>
/// <remarks>
/// <para>Keys follow the Atze00 PyTorch port (<c>modelA{0,1,2}_statedict_v3</c>, <c>modelA{0,1,2}_stream_statedict_v3</c>):
/// <c>conv1.conv_1.conv3d.weight</c> + <c>conv1.conv_1.norm.*</c>; per layer <c>blocks.bX_lY.expand.conv_1.*</c>,
/// <c>.deep.conv_1.*</c> (stream: spatial part) and <c>.deep.conv_2.*</c> (stream only, temporal part),
/// <c>.se.fc1.conv_1.conv3d.{weight,bias}</c>, <c>.se.fc2.conv_1.conv3d.{weight,bias}</c>, <c>.project.conv_1.*</c>,
/// <c>.res.1.conv_1.*</c> after a pool (<c>.res.0.conv_1.*</c> when the skip does not stride), <c>.alpha</c>;
/// <c>conv7.conv_1.*</c>, <c>classifier.0.conv_1.conv3d.*</c>, <c>classifier.3.conv_1.conv3d.*</c>. The temporal ensemble
/// prefixes <c>model_0.</c> / <c>model_1.</c>.</para>
/// <para>Every conv here is a <c>Conv3d</c> (leaf <c>conv3d</c>). The Atze00 stream files store frame-wise convs as
/// <c>Conv2d</c> (leaf <c>conv2d</c>, weight [C_out, C_in/groups, kh, kw]) and the temporal depthwise part as a <c>Conv2d</c>
/// with weight [C, 1, k_t, 1]: map <c>conv2d.weight</c> → <c>conv3d.weight</c> with <c>unsqueeze(2)</c> for spatial
/// kernels and <c>unsqueeze(-1)</c> for the temporal one. TF Model Garden names (<c>b{i}/l{j}/bneck/…</c>,
/// <c>…/feature/conv2d_temporal/…</c>, <c>rezero/scale</c>) map one to one onto the same modules, with the kernel
/// transposes of models.md §2.6 #6.</para>
/// <para>Numerics to reproduce imported weights: TF 'SAME' spatial padding (extra pad after), skip average pool excluding
/// padding, BN eps 1e-3, hard-sigmoid = relu6(x + 3)/6 (Model Garden; the legacy Keras definition differs, §2.6 #2), and
/// the stream classifier activation (Atze00 uses swish in the classifier MLP even in stream mode; this implementation uses
/// the mode's activation, hard-swish, which an importer of those weights must override).</para>
/// </remarks>
public static class MoViNetWeights
{
    /// <summary>The Atze00 key of one of this implementation's keys (conv3d → conv2d where the port uses 2-D convs).</summary>
    /// <param name="key">A key of <see cref="MoViNetNetwork"/>'s state dict.</param>
    /// <param name="mode">Base or stream.</param>
    /// <returns>The corresponding key in the Atze00 state dict (same tensor up to the unsqueeze noted in the remarks).</returns>
    public static string ToAtze00Key(string key, MoViNetMode mode)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (mode == MoViNetMode.Base || key.EndsWith(".alpha", StringComparison.Ordinal))
            return key;
        return key.Replace(".conv3d.", ".conv2d.", StringComparison.Ordinal);
    }
}
