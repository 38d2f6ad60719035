namespace MLNetVideo.Trainers.MoViNet;

/// <summary>The MoViNet family members implemented here (Kondratyuk et al., "MoViNets: Mobile Video Networks for Efficient
/// Video Recognition", CVPR 2021, arXiv:2103.11511).</summary>
public enum MoViNetVariant
{
    /// <summary>A0: stem 8, 5 blocks of 1/3/3/4/4 layers, head 480; reference input 50×172².</summary>
    A0 = 0,

    /// <summary>A1: stem 16, 5 blocks of 2/4/5/6/7 layers, head 600; reference input 50×172².</summary>
    A1 = 1,

    /// <summary>A2: stem 16, 5 blocks of 3/5/5/6/7 layers, head 640; reference input 50×224².</summary>
    A2 = 2,
}
