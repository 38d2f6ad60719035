namespace MLNetVideo.Trainers;

/// <summary>Learning-rate schedule after the linear warm-up.</summary>
public enum LearningRateSchedule
{
    /// <summary>Constant at <see cref="VideoTrainerOptionsBase.LearningRate"/>.</summary>
    Constant = 0,

    /// <summary>Half-cosine from <see cref="VideoTrainerOptionsBase.LearningRate"/> down to <see cref="VideoTrainerOptionsBase.MinLearningRate"/> at the last step.</summary>
    Cosine = 1,

    /// <summary>Multiplied by <see cref="VideoTrainerOptionsBase.StepGamma"/> every <see cref="VideoTrainerOptionsBase.StepEpochs"/> epochs.</summary>
    Step = 2,
}
