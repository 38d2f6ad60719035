namespace MLNetVideo.Trainers;

/// <summary>Optimizers offered by every video trainer.</summary>
public enum VideoOptimizer
{
    /// <summary>SGD with (heavy-ball) momentum; <see cref="VideoTrainerOptionsBase.WeightDecay"/> is L2 on the gradient.</summary>
    SgdMomentum = 0,

    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW = 1,
}
