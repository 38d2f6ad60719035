namespace MLNetVideo.Trainers.AFNet;

/// <summary>
/// The schedules of <see cref="AFNetSchedule"/>: the Gumbel-Softmax temperature and the target-ratio curriculum of the
/// reference (official <c>main.py</c>: <c>adjust_temperature</c> per iteration, <c>adjust_ratio</c> per epoch), and the
/// short-run ones, defined on the run's progress (iterations done / iterations asked for).
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

    /// <summary>Short-run target: 1 until <paramref name="begin"/>, then a straight line to RT at <paramref name="end"/>, RT
    /// after (all in the same unit, epochs or fractions of the run).</summary>
    /// <param name="progress">Where the run stands.</param>
    /// <param name="target">RT.</param>
    /// <param name="begin">Where the target leaves 1.</param>
    /// <param name="end">Where it reaches RT.</param>
    /// <returns>The target ratio.</returns>
    public static double LinearTargetRatio(double progress, double target, double begin, double end)
        => 1.0 - ((1.0 - target) * Ramp(progress, begin, end));

    /// <summary>Short-run Gumbel-noise scale: 1 until <paramref name="begin"/>, a straight line to 0 at <paramref name="end"/>,
    /// 0 after (fractions of the run).</summary>
    /// <param name="progress">Fraction of the run done.</param>
    /// <param name="begin">Where the noise starts to fall.</param>
    /// <param name="end">Where it reaches 0.</param>
    /// <returns>The scale.</returns>
    public static double NoiseScale(double progress, double begin, double end) => 1.0 - Ramp(progress, begin, end);

    // 0 before begin, 1 from end, linear in between (a step at begin when end <= begin).
    private static double Ramp(double progress, double begin, double end)
        => progress < begin ? 0 : progress >= end ? 1 : (progress - begin) / (end - begin);
}
