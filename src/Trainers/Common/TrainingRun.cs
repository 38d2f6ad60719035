using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers.Common;

/// <summary>Everything one training run needs; built by <see cref="VideoClassifierTrainerBase{TOptions, TSpec}"/>.</summary>
internal sealed record TrainingRun(
    IHostEnvironment Environment,
    string Family,
    VideoTrainerOptionsBase Options,
    nn.Module<Tensor, Tensor> Network,
    ClipGeometry Clip,
    ClipLayout NetworkLayout,
    int NumClasses,
    int Seed,
    Device Device,
    string Fingerprint,
    Func<nn.Module<Tensor, Tensor>, Tensor, Tensor, Tensor?> AuxiliaryLoss,
    Action<nn.Module<Tensor, Tensor>, TrainingPosition>? BeforeTrainingBatch = null,
    Func<nn.Module<Tensor, Tensor>, IReadOnlyDictionary<string, double>?>? EpochFamilyMetrics = null,
    Func<string, double>? LearningRateScale = null,
    FrozenParts? Frozen = null,
    Func<nn.Module<Tensor, Tensor>, IReadOnlyDictionary<string, double>?>? BatchFamilyMetrics = null);
