using Microsoft.ML;
using MLNetVideo.Devices;
using MLNetVideo.Errors;

namespace MLNetVideo.Trainers;

/// <summary>
/// Settings shared by every MLNetVideo video-classification trainer: columns, optimisation, schedule, regularisation,
/// data feeding, validation with early stopping, checkpoints and progress reporting. Family trainers derive their
/// <c>Options</c> from it and add architecture settings.
/// </summary>
public abstract class VideoTrainerOptionsBase
{
    /// <summary>Clip column: a known-size vector of <see cref="float"/> with dimensions [C, T, H, W] or [T, C, H, W]
    /// (see <see cref="ClipLayout"/>), or [K, …] for K views per row. Default "Frames".</summary>
    public string ClipColumnName { get; set; } = "Frames";

    /// <summary>Label column; must be a key type (use <c>MapValueToKey</c>). Default "Label".</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Output column of class probabilities (vector of <see cref="float"/>). Default "Score".</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>Output key column of the most probable class. Default "PredictedLabel".</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>Dimension order of one view in the clip column. Default null: the order the column's <c>ClipLayout</c>
    /// annotation names (LoadVideoFrames writes it), else the network's own order (<see cref="ClipLayout.Cthw"/> for S3D,
    /// MoViNet and EVL, <see cref="ClipLayout.Tchw"/> for TSM and AFNet). A value that contradicts the annotation is refused.</summary>
    public ClipLayout? ClipLayout { get; set; }

    /// <summary>Passes over the training data. Default 10.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Rows per forward pass (each view of a multi-view row counts as one clip). Default 8.</summary>
    public int BatchSize { get; set; } = 8;

    /// <summary>Optimizer. Default <see cref="VideoOptimizer.SgdMomentum"/>.</summary>
    public VideoOptimizer Optimizer { get; set; } = VideoOptimizer.SgdMomentum;

    /// <summary>SGD momentum. Default 0.9.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Peak learning rate (after warm-up). Default 0.01.</summary>
    public double LearningRate { get; set; } = 0.01;

    /// <summary>Schedule after warm-up. Default <see cref="LearningRateSchedule.Cosine"/>.</summary>
    public LearningRateSchedule LearningRateSchedule { get; set; } = LearningRateSchedule.Cosine;

    /// <summary>Epochs of linear warm-up from 0 to <see cref="LearningRate"/> (fractions allowed). Default 0.</summary>
    public double WarmupEpochs { get; set; }

    /// <summary>Lowest rate of the cosine schedule. Default 0.</summary>
    public double MinLearningRate { get; set; }

    /// <summary>Epochs between decays of the step schedule. Default 10.</summary>
    public int StepEpochs { get; set; } = 10;

    /// <summary>Factor of each decay of the step schedule. Default 0.1.</summary>
    public double StepGamma { get; set; } = 0.1;

    /// <summary>Weight decay (L2 for SGD, decoupled for AdamW). Default 1e-4.</summary>
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Label smoothing of the cross-entropy loss, in [0, 1). Default 0.</summary>
    public double LabelSmoothing { get; set; }

    /// <summary>Dropout before the classifier, in [0, 1). Default 0.2.</summary>
    public double DropoutRate { get; set; } = 0.2;

    /// <summary>Clip the global L2 norm of the gradients to this value; <see langword="null"/> = no clipping. Default null.</summary>
    public double? GradientClipNorm { get; set; }

    /// <summary>Batches whose gradients are summed before one optimizer step (effective batch = BatchSize × this). Default 1.</summary>
    public int GradientAccumulationSteps { get; set; } = 1;

    /// <summary>Seed of weights, dropout and data order; <see langword="null"/> = the MLContext's seed, else 1.</summary>
    public int? Seed { get; set; }

    /// <summary>"auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N". Default "auto".</summary>
    public string Device { get; set; } = DeviceResolver.Auto;

    /// <summary>Rows whose clips are held and drawn at random to shuffle each epoch (bounded memory; a pool at least as
    /// large as the data set gives a uniform permutation). Inputs that can shuffle themselves (for example after
    /// <c>AppendCacheCheckpoint</c>) are also shuffled by ML.NET. 0 = no shuffling. Default 64.</summary>
    public int ShufflePoolSize { get; set; } = 64;

    /// <summary>Batches decoded ahead on a background thread while the network computes. Default 2.</summary>
    public int PrefetchBatches { get; set; } = 2;

    /// <summary>Optional validation data (same columns); evaluated after every epoch.</summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>Stop after this many epochs without a better validation accuracy; <see langword="null"/> = never.
    /// Needs <see cref="ValidationSet"/>. Default null.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>k of the top-k validation accuracy in <see cref="EpochMetrics"/>. Default 5.</summary>
    public int TopK { get; set; } = 5;

    /// <summary>Folder where a checkpoint (network, optimizer state, epoch, counters) is written atomically after every epoch;
    /// <see langword="null"/> = none.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>Continue from the checkpoint in <see cref="CheckpointFolder"/> when there is one. On the CPU the result is
    /// bit-identical to an uninterrupted run with the same seed. Default false.</summary>
    public bool ResumeFromCheckpoint { get; set; }

    /// <summary>Called after every epoch (also logged to ML.NET's log channel).</summary>
    public Action<EpochMetrics>? MetricsCallback { get; set; }

    /// <summary>Folder where every epoch's scalars (loss, accuracy, learning rate, clips/s, family metrics) are written as a
    /// TensorBoard event file (<c>tensorboard --logdir FOLDER</c>); <see langword="null"/> (default) = none. Not saved in the model.</summary>
    public string? TensorBoardLogFolder { get; set; }

    /// <summary>
    /// A checkpoint to start from instead of random weights, for example an official release (kylemin/S3D's
    /// <c>S3D_kinetics400.pt</c>, a TSM, AFNet or EVL <c>.pth</c>, an Atze00 MoViNet <c>*_statedict_v3</c>), a torchvision
    /// ImageNet ResNet for TSM/AFNet, or a state dict with this library's own names (safetensors or PyTorch zip). The
    /// container (safetensors, PyTorch zip, legacy <c>torch.save</c>, TorchScript) and the key layout (the family's official
    /// layouts, <c>module.</c> prefixes, <c>state_dict</c>/<c>model</c> wrappers) are detected from the file; it is read by the
    /// restricted readers (no code runs, <see cref="MLNetVideo.Weights.WeightsReadLimits.Default"/> bounds). The import is
    /// strict: every tensor of the network but the classification head must be in the file with its shape, and nothing
    /// else may be, or <see cref="VideoClassifierTrainerBase{TOptions, TSpec}.Fit"/> fails naming the file and
    /// the keys. When the file's head has another class count, the head is re-initialised. What was loaded, missing,
    /// unexpected, reshaped and re-initialised is written to ML.NET's log. Not saved in the model (a fitted model holds
    /// its own weights); <see langword="null"/> (default) = random initialisation.
    /// </summary>
    public string? InitialWeights { get; set; }

    /// <summary>Multiplier of the learning rate of every parameter except the classification head (the layer a new class
    /// count re-initialises), for fine-tuning a pretrained backbone more gently than its new head; it multiplies any
    /// family-specific scale. In (0, 1000]. Default 1.</summary>
    public double BackboneLearningRateScale { get; set; } = 1.0;

    /// <summary>Train only the classification head: every other parameter keeps its initial (usually
    /// <see cref="InitialWeights"/>) value and every batch norm outside the head keeps its statistics. Default false.</summary>
    public bool FreezeBackbone { get; set; }

    /// <summary>Freeze the first N stages of the backbone (the stem counts as the first; each family's documentation lists
    /// its stages): their parameters are not trained and their batch norms keep their statistics. 0 (default) = none.</summary>
    public int FrozenStages { get; set; }

    /// <summary>Checks the shared settings; families override to add theirs (call the base).</summary>
    public virtual void Validate()
    {
        OptionChecks.NotEmpty(ClipColumnName, nameof(ClipColumnName));
        OptionChecks.NotEmpty(LabelColumnName, nameof(LabelColumnName));
        OptionChecks.NotEmpty(ScoreColumnName, nameof(ScoreColumnName));
        OptionChecks.NotEmpty(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        if (ClipLayout is { } layout)
            OptionChecks.Defined(layout, nameof(ClipLayout));
        OptionChecks.Positive(Epochs, nameof(Epochs));
        OptionChecks.Positive(BatchSize, nameof(BatchSize));
        OptionChecks.Defined(Optimizer, nameof(Optimizer));
        OptionChecks.InRange(Momentum, 0, 1, nameof(Momentum));
        OptionChecks.Positive(LearningRate, nameof(LearningRate));
        OptionChecks.Defined(LearningRateSchedule, nameof(LearningRateSchedule));
        OptionChecks.NonNegative(WarmupEpochs, nameof(WarmupEpochs));
        OptionChecks.NonNegative(MinLearningRate, nameof(MinLearningRate));
        if (MinLearningRate > LearningRate)
            throw new ArgumentOutOfRangeException(nameof(MinLearningRate), MinLearningRate,
                $"MinLearningRate must not exceed LearningRate ({LearningRate}); got {MinLearningRate}.");
        OptionChecks.Positive(StepEpochs, nameof(StepEpochs));
        OptionChecks.InRange(StepGamma, 0, 1, nameof(StepGamma));
        OptionChecks.NonNegative(WeightDecay, nameof(WeightDecay));
        OptionChecks.InRange(LabelSmoothing, 0, 0.99, nameof(LabelSmoothing));
        OptionChecks.InRange(DropoutRate, 0, 0.99, nameof(DropoutRate));
        if (GradientClipNorm is { } clip)
            OptionChecks.Positive(clip, nameof(GradientClipNorm));
        OptionChecks.Positive(GradientAccumulationSteps, nameof(GradientAccumulationSteps));
        DeviceResolver.Validate(Device, nameof(Device));
        OptionChecks.NonNegative(ShufflePoolSize, nameof(ShufflePoolSize));
        OptionChecks.Positive(PrefetchBatches, nameof(PrefetchBatches));
        OptionChecks.Positive(TopK, nameof(TopK));
        if (EarlyStoppingPatience is { } patience)
        {
            OptionChecks.Positive(patience, nameof(EarlyStoppingPatience));
            if (ValidationSet is null)
                throw new ArgumentException("EarlyStoppingPatience needs a ValidationSet: set ValidationSet, or EarlyStoppingPatience = null.",
                    nameof(EarlyStoppingPatience));
        }
        if (TensorBoardLogFolder is not null)
            OptionChecks.NotEmpty(TensorBoardLogFolder, nameof(TensorBoardLogFolder));
        if (InitialWeights is not null)
        {
            OptionChecks.NotEmpty(InitialWeights, nameof(InitialWeights));
            if (!File.Exists(InitialWeights))
                throw new ArgumentException($"InitialWeights: the file '{Path.GetFullPath(InitialWeights)}' does not exist.", nameof(InitialWeights));
        }
        OptionChecks.Positive(BackboneLearningRateScale, nameof(BackboneLearningRateScale));
        OptionChecks.InRange(BackboneLearningRateScale, 0, 1000, nameof(BackboneLearningRateScale));
        OptionChecks.NonNegative(FrozenStages, nameof(FrozenStages));
        if (ResumeFromCheckpoint && string.IsNullOrWhiteSpace(CheckpointFolder))
            throw new ArgumentException("ResumeFromCheckpoint needs a CheckpointFolder.", nameof(ResumeFromCheckpoint));
    }
}
