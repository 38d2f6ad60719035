namespace MLNetVideo.Trainers.AFNet;

/// <summary>Depth of the AF-ResNet backbone.</summary>
public enum AFNetDepth
{
    /// <summary>AF-ResNet-18: basic blocks [2, 2, 2, 2]. Not in the reference code (which has 50 and 101): the same AF
    /// layout with one ample and one focal block per AF stage and basic blocks; no released weights.</summary>
    ResNet18 = 18,

    /// <summary>AF-ResNet-50: bottlenecks [3, 4, 6, 3], the reference backbone (official <c>AF_ResNet.py</c>).</summary>
    ResNet50 = 50,
}
