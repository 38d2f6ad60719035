namespace MLNetVideo.Determinism;

/// <summary>Independent random streams derived from one seed, so that, for example, adding
/// augmentation does not change the data order.</summary>
public enum RandomStream
{
    /// <summary>Order of rows within an epoch.</summary>
    DataOrder = 1,
    /// <summary>Temporal jitter when sampling frames.</summary>
    TemporalJitter = 2,
    /// <summary>Spatial augmentation (random crops, flips).</summary>
    Augmentation = 3,
    /// <summary>Anything else a trainer needs (for example Gumbel noise).</summary>
    Model = 4,
}
