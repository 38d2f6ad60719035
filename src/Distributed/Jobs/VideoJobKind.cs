namespace MLNetVideo.Distributed.Jobs;

/// <summary>What a job computes for each video.</summary>
public enum VideoJobKind
{
    /// <summary>Score every video with a saved classifier: label, top-k and the score vector.</summary>
    Score,

    /// <summary>Compute frozen CLIP features of every video into a CLIP feature cache folder (the one
    /// <c>FeaturizeVideoWithClip</c> reads with the same options), so an EVL decoder can train on one machine.</summary>
    FeaturizeClip,
}
