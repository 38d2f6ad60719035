namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>How the frames of one temporal cluster are merged into one pseudo-frame ("No Frame Left Behind", CVPR 2021).</summary>
public enum ClusterAggregation
{
    /// <summary>
    /// Element-wise sum of the cluster's frames, as in the paper. The backward pass gives every member of a cluster
    /// the cluster's gradient unchanged. The output scale grows with the cluster length.
    /// </summary>
    Sum = 0,

    /// <summary>
    /// Element-wise mean (sum ÷ cluster length), as in the official code. Keeps per-frame feature statistics
    /// whatever the cluster length; every member receives the cluster's gradient divided by the length.
    /// </summary>
    Mean = 1,
}
