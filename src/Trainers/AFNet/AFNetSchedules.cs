namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// The reference recipe's schedules (models.md §4.3, official <c>main.py</c>): the Gumbel-Softmax temperature, decayed
/// exponentially per iteration, and the target-ratio curriculum, stepped per epoch.
/// </summary>
public static class AFNetSchedules
{
    /// <summary>τ = t0·(t1/t0)^(progress / tEnd) for progress (fractional epochs: epoch + batch / batches per epoch) below
    /// <paramref name="decayEpochs"/>, then t1.</summary>
    /// <param name="fractionalEpoch">Epochs completed, with the fraction of the current one.</param>
    /// <param name="start">t0 (reference 1).</param>
    /// <param name="end">t1 (reference 0.01).</param>
    /// <param name="decayEpochs">t_end (reference 50).</param>
    /// <returns>The temperature.</returns>
    public static double Temperature(double fractionalEpoch, double start, double end, double decayEpochs)
    {
        if (decayEpochs <= 0 || fractionalEpoch >= decayEpochs)
            return end;
        return start * Math.Pow(end / start, Math.Max(0, fractionalEpoch) / decayEpochs);
    }

    /// <summary>The target ratio of an epoch: 1 before <paramref name="begin"/>; RT + ⅔(1 − RT) until begin + ⌊(end − begin)/2⌋;
    /// RT + ⅓(1 − RT) until <paramref name="end"/>; RT from then on (the reference's <c>adjust_ratio</c>, begin 10, end 20).</summary>
    /// <param name="epoch">0-based epoch.</param>
    /// <param name="target">RT, the final target ratio.</param>
    /// <param name="begin">rt_begin.</param>
    /// <param name="end">rt_end.</param>
    /// <returns>The epoch's target ratio.</returns>
    public static double TargetRatio(int epoch, double target, int begin, int end)
    {
        if (epoch < begin)
            return 1.0;
        if (epoch < begin + ((end - begin) / 2))
            return target + ((1.0 - target) / 3 * 2);
        if (epoch < end)
            return target + ((1.0 - target) / 3);
        return target;
    }
}
