namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>One temporal cluster: the frames <see cref="Start"/> to <see cref="End"/> − 1, in order.</summary>
/// <param name="Start">Index of the cluster's first frame.</param>
/// <param name="Length">Number of frames in the cluster (at least 1).</param>
public readonly record struct TemporalCluster(int Start, int Length)
{
    /// <summary>Index one past the cluster's last frame.</summary>
    public int End => Start + Length;
}
