namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>
/// How <see cref="TemporalClusterer"/> cuts a frame sequence into contiguous clusters
/// ("No frame left behind: Full Video Action Recognition", Liu et al., CVPR 2021).
/// Both methods use the same input: the normalised Hamming distance between the binarised activations of
/// consecutive frames.
/// </summary>
public enum ClusteringMethod
{
    /// <summary>
    /// "Ours-cumulative" ("No Frame Left Behind", CVPR 2021): the total amount of change is split into equal budgets, one per cluster;
    /// clusters are short where the video changes fast and long where it is static.
    /// </summary>
    Cumulative = 0,

    /// <summary>
    /// "Ours-slope" ("No Frame Left Behind", CVPR 2021): the sequence is cut after the frames followed by the g−1 largest changes
    /// ("steepest slopes" of the cumulative distance curve).
    /// </summary>
    Slope = 1,
}
