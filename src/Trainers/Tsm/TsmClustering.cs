using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo.Trainers.Tsm;

/// <summary>Temporal clustering inside a TSM network ("No frame left behind", Liu et al., CVPR 2021): off, or the method
/// that cuts the frames into clusters after the first stage.</summary>
public enum TsmClustering
{
    /// <summary>No clustering: every input frame (or <see cref="TsmSpec.SampledFrames"/> uniformly sampled ones) goes through
    /// every stage; the plain TSM baseline.</summary>
    None = 0,

    /// <summary>"Ours-cumulative": equal budgets of accumulated change (<see cref="ClusteringMethod.Cumulative"/>).</summary>
    Cumulative = 1,

    /// <summary>"Ours-slope": cuts after the g − 1 largest changes (<see cref="ClusteringMethod.Slope"/>).</summary>
    Slope = 2,
}
