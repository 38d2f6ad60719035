namespace MLNetVideo.Transforms.Decoding;

/// <summary>Whether the transform applies training-time randomness.</summary>
public enum VideoLoadingMode
{
    /// <summary>Deterministic: centred segments and clips, centre crops, no flips.</summary>
    Inference,
    /// <summary>Seeded randomness: random segment offsets and clip starts, random crops, optional flips.</summary>
    Training,
}
