namespace MLNetVideo.Trainers.MoViNet;

/// <summary>
/// Multiply-accumulate count of one MoViNet forward pass, computed from the layer shapes of a <see cref="MoViNetSpec"/>
/// (the network calls its layers directly, so forward hooks do not see them). Every convolution counts output elements ×
/// input channels / groups × kernel volume; the squeeze-excitation layers and the classifier are counted once per clip in
/// base mode and the SE once per frame in stream mode (its gate is per frame). Batch norm, activations and pooling are not
/// counted (the fvcore convention; "GFLOPs" in the MoViNet paper are these GMACs).
/// </summary>
public static class MoViNetCost
{
    /// <summary>MACs for one clip of <paramref name="frames"/> × <paramref name="height"/> × <paramref name="width"/>.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="frames">Frames per clip (MoViNet keeps the temporal length through the network).</param>
    /// <param name="height">Frame height.</param>
    /// <param name="width">Frame width.</param>
    /// <returns>Multiply-accumulates per clip.</returns>
    public static double MultiplyAccumulates(MoViNetSpec spec, int frames, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        double total = 0;
        long h = (height + 1) / 2, w = (width + 1) / 2;       // the stem: 3×3 spatial conv, stride 2
        total += (double)frames * h * w * spec.Stem.OutChannels * 3 * 9;
        bool stream = spec.Mode == MoViNetMode.Stream;
        foreach (var b in spec.Blocks)
        {
            total += (double)frames * h * w * b.ExpandChannels * b.InChannels;            // expand (before the stride)
            long ho = (h + b.Stride.H - 1) / b.Stride.H, wo = (w + b.Stride.W - 1) / b.Stride.W;
            // Depthwise: one k×k×k conv (base) or k×k then k×1×1 (stream, (2+1)D).
            total += (double)frames * ho * wo * b.ExpandChannels
                * (stream ? (b.Kernel.H * b.Kernel.W) + (b.Kernel.T > 1 ? b.Kernel.T : 0) : b.Kernel.T * b.Kernel.H * b.Kernel.W);
            int hidden = b.SeHidden(spec.Mode), seIn = stream ? 2 * b.ExpandChannels : b.ExpandChannels;
            total += (stream ? frames : 1) * (((double)seIn * hidden) + ((double)hidden * b.ExpandChannels));
            total += (double)frames * ho * wo * b.OutChannels * b.ExpandChannels;           // project
            if (b.ProjectedSkip) total += (double)frames * ho * wo * b.OutChannels * b.InChannels;
            h = ho;
            w = wo;
        }
        total += (double)frames * h * w * spec.Head.ProjectChannels * spec.Blocks[^1].OutChannels;
        total += ((double)spec.Head.ProjectChannels * spec.Head.HiddenChannels) + ((double)spec.Head.HiddenChannels * spec.NumClasses);
        return total;
    }
}
