namespace MLNetVideo.Trainers.Common;

/// <summary>Learning rate as a pure function of the optimizer step (no state, so a resumed run gets the same rates).</summary>
internal static class LearningRateSchedules
{
    /// <summary>The rate for optimizer step <paramref name="step"/> (0-based).</summary>
    /// <param name="options">Rate, schedule, warm-up and decay settings.</param>
    /// <param name="step">Optimizer step (0-based).</param>
    /// <param name="stepsPerEpoch">Optimizer steps per epoch (at least 1).</param>
    /// <returns>The learning rate.</returns>
    public static double At(VideoTrainerOptionsBase options, long step, long stepsPerEpoch)
    {
        ArgumentNullException.ThrowIfNull(options);
        stepsPerEpoch = Math.Max(1, stepsPerEpoch);
        long totalSteps = stepsPerEpoch * options.Epochs;
        long warmupSteps = (long)Math.Round(options.WarmupEpochs * stepsPerEpoch);
        if (step < warmupSteps)
            return options.LearningRate * (step + 1) / warmupSteps;
        switch (options.LearningRateSchedule)
        {
            case LearningRateSchedule.Cosine:
            {
                long span = Math.Max(1, totalSteps - warmupSteps);
                double progress = Math.Clamp((double)(step - warmupSteps) / span, 0, 1);
                return options.MinLearningRate + ((options.LearningRate - options.MinLearningRate) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
            }
            case LearningRateSchedule.Step:
            {
                long epoch = step / stepsPerEpoch;
                return options.LearningRate * Math.Pow(options.StepGamma, epoch / options.StepEpochs);
            }
            default:
                return options.LearningRate;
        }
    }
}
