namespace MLNetVideo.Trainers.MoViNet;

/// <summary>One inverted-bottleneck layer <c>b{Block}_l{Layer}</c>: 1×1×1 expand → depthwise <see cref="Kernel"/> → SE →
/// 1×1×1 project, residual with ReZero scale.</summary>
/// <param name="Block">Block index (the X of bX_lY).</param>
/// <param name="Layer">Layer index inside the block.</param>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="ExpandChannels">Expanded (depthwise) width.</param>
/// <param name="Kernel">Depthwise kernel (t, h, w).</param>
/// <param name="Stride">Depthwise stride (always 1 in time).</param>
public sealed record MoViNetBlockSpec(int Block, int Layer, int InChannels, int OutChannels, int ExpandChannels, Triple Kernel, Triple Stride)
{
    /// <summary>Checkpoint name, for example "b1_l2".</summary>
    public string Name => $"b{Block}_l{Layer}";

    /// <summary>Whether the skip path is a projection (pool + 1×1×1 conv + BN) rather than the identity.</summary>
    public bool ProjectedSkip => InChannels != OutChannels || Stride.H != 1 || Stride.W != 1;

    /// <summary>SE hidden width: make_divisible(0.25·C) in base mode, make_divisible(0.5·C) in stream mode (Model Garden movinet.py).</summary>
    /// <param name="mode">Base or stream.</param>
    /// <returns>The hidden width.</returns>
    public int SeHidden(MoViNetMode mode) => MoViNetSpecs.MakeDivisible((mode == MoViNetMode.Stream ? 0.5 : 0.25) * ExpandChannels, 8);
}
