using MLNetVideo.Trainers.Common;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Determinism;
using MLNetVideo.Devices;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using TorchSharp;
using static TorchSharp.torch;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Trainers;

/// <summary>
/// The core of every MLNetVideo video-classification trainer (an ML.NET multiclass trainer estimator). A family supplies
/// its <see cref="Backbone"/> (the descriptor that builds networks, names layouts, head and stages) and
/// <see cref="CreateSpec"/> (options + clip shape + class count → spec), optionally <see cref="AuxiliaryLoss"/> and the
/// other training hooks. The loop, data feeding, checkpoints, metrics, zip persistence and scoring
/// (<see cref="VideoClassifierTransformer{TSpec}"/>) are shared.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>Needs data</term><description>Yes (training).</description></item>
/// <item><term>Input columns</term><description>Clip: known-size vector of <see cref="float"/>, [C,T,H,W] / [T,C,H,W], or [K,…] for
/// K views; Label: key.</description></item>
/// <item><term>Output columns</term><description>Score: vector of <see cref="float"/> (probabilities, SlotNames = class names);
/// PredictedLabel: key (KeyValues = class names).</description></item>
/// <item><term>NuGet</term><description>MLNetVideo.Trainers + TorchSharp-cpu or a TorchSharp CUDA package.</description></item>
/// <item><term>ONNX export</term><description>No.</description></item>
/// </list>
/// </remarks>
/// <typeparam name="TOptions">The family's options.</typeparam>
/// <typeparam name="TSpec">The family's architecture spec.</typeparam>
public abstract class VideoClassifierTrainerBase<TOptions, TSpec> : IEstimator<VideoClassifierTransformer<TSpec>>
    where TOptions : VideoTrainerOptionsBase
    where TSpec : class
{
    /// <summary>Validates the options (a bad value fails here, before any data is read).</summary>
    /// <param name="environment">The ML.NET environment.</param>
    /// <param name="options">The options (used as given; do not change them during <see cref="Fit"/>).</param>
    protected VideoClassifierTrainerBase(IHostEnvironment environment, TOptions options)
    {
        Environment = environment ?? throw new ArgumentNullException(nameof(environment));
        TrainerOptions = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>The ML.NET environment.</summary>
    protected IHostEnvironment Environment { get; }

    /// <summary>The options.</summary>
    protected TOptions TrainerOptions { get; }

    /// <summary>The device <see cref="Fit"/> trains on (the CPU before it starts).</summary>
    protected Device TrainingDevice { get; private set; } = CPU;

    /// <summary>The family: network factory, layouts, checkpoint layouts, head and stages.</summary>
    protected abstract VideoBackbone<TSpec> Backbone { get; }

    /// <summary>Family name used in logs and checkpoints (for example "S3D").</summary>
    protected string FamilyName => Backbone.FamilyName;

    /// <summary>Layout the network takes; the core converts the column's layout to it.</summary>
    protected ClipLayout NetworkLayout => Backbone.NetworkLayout;

    /// <summary>The architecture for this data (the core has already checked the clip against the family's
    /// <see cref="VideoBackbone{TSpec}.InputFor"/>, and checks it again against the spec's).</summary>
    /// <param name="clip">The clip column's geometry.</param>
    /// <param name="numClasses">Label key count.</param>
    /// <returns>The spec.</returns>
    protected abstract TSpec CreateSpec(ClipGeometry clip, int numClasses);

    /// <summary>Builds the network on the CPU (seeded by the core just before). Default: the backbone's; a family overrides
    /// to add training-only initialisation.</summary>
    /// <param name="spec">The spec.</param>
    /// <returns>A module mapping clips in <see cref="NetworkLayout"/> to logits [N, classes].</returns>
    protected virtual nn.Module<Tensor, Tensor> CreateNetwork(TSpec spec) => Backbone.CreateNetwork(spec);

    /// <summary>An extra loss term added to the cross-entropy (for example a computation-budget loss), or null.</summary>
    /// <param name="network">The network (after its forward pass for this batch).</param>
    /// <param name="logits">The batch's logits.</param>
    /// <param name="labels">The batch's class indices.</param>
    /// <returns>A scalar tensor, or null.</returns>
    protected virtual Tensor? AuxiliaryLoss(nn.Module<Tensor, Tensor> network, Tensor logits, Tensor labels) => null;

    /// <summary>Called before each training forward pass with where training stands (for schedules that change per
    /// iteration, such as a Gumbel-Softmax temperature). Default: nothing.</summary>
    /// <param name="network">The network.</param>
    /// <param name="position">Epoch (0-based), batch within the epoch (0-based) and batches per epoch.</param>
    protected virtual void OnTrainingBatch(nn.Module<Tensor, Tensor> network, TrainingPosition position)
    {
    }

    /// <summary>Multiplier of the scheduled learning rate for the parameter named <paramref name="parameterName"/> (its
    /// <c>named_parameters</c> name). Default: 1 for every parameter (one optimizer group).</summary>
    /// <param name="parameterName">The parameter's name in the network.</param>
    /// <returns>A positive multiplier.</returns>
    protected virtual double LearningRateScale(string parameterName) => 1.0;

    /// <summary>Names of batch-norm modules the family's options freeze (affine parameters and statistics), for example TSM's
    /// partial batch norm. Default: none.</summary>
    /// <param name="network">The network.</param>
    /// <returns>Module names as in <c>named_modules()</c>.</returns>
    protected virtual IReadOnlyCollection<string> FrozenBatchNorms(nn.Module<Tensor, Tensor> network) => [];

    /// <summary>Family-specific figures of the epoch just trained, added to <see cref="EpochMetrics.FamilyMetrics"/>, or null.</summary>
    /// <param name="network">The network.</param>
    /// <returns>Name → value, or null.</returns>
    protected virtual IReadOnlyDictionary<string, double>? EpochFamilyMetrics(nn.Module<Tensor, Tensor> network) => null;

    /// <summary>Family-specific figures of the batch just trained (called after its backward pass, before the optimizer step),
    /// written as per-step TensorBoard scalars <c>{Family}/step/{name}</c> when <see cref="VideoTrainerOptionsBase.TensorBoardLogFolder"/>
    /// is set; null (the default) for none.</summary>
    /// <param name="network">The network.</param>
    /// <returns>Name → value, or null.</returns>
    protected virtual IReadOnlyDictionary<string, double>? BatchFamilyMetrics(nn.Module<Tensor, Tensor> network) => null;

    // How a run was executed, not what it trained: a local folder path and the resume switch would make a resumed run's
    // zip differ from an uninterrupted one (and leak a path into a shared model file).
    // InitialWeights is where training started, not something a loaded model reads: the zip holds the trained weights.
    private static readonly HashSet<string> s_runSettings = [nameof(VideoTrainerOptionsBase.CheckpointFolder), nameof(VideoTrainerOptionsBase.ResumeFromCheckpoint),
        nameof(VideoTrainerOptionsBase.TensorBoardLogFolder), nameof(VideoTrainerOptionsBase.InitialWeights)];

    /// <summary>The options worth recording in the model zip (scalar settings; data, callbacks, the checkpoint and TensorBoard
    /// folders and the resume switch are left out).</summary>
    /// <returns>Name → value.</returns>
    protected virtual IReadOnlyDictionary<string, object?> DescribeOptions()
        => TrainerOptions.GetType().GetProperties()
            .Where(p => p.CanRead && !s_runSettings.Contains(p.Name) && (p.PropertyType.IsPrimitive || p.PropertyType.IsEnum || p.PropertyType == typeof(string)
                || Nullable.GetUnderlyingType(p.PropertyType) is { } u && (u.IsPrimitive || u.IsEnum)))
            .ToDictionary(p => p.Name, p => p.GetValue(TrainerOptions) is { } v && v.GetType().IsEnum ? v.ToString() : p.GetValue(TrainerOptions));

    /// <summary>Trains the network on <paramref name="input"/>.</summary>
    /// <param name="input">Training data with the clip and label columns.</param>
    /// <returns>The fitted transformer.</returns>
    public VideoClassifierTransformer<TSpec> Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (clip, numClasses, classNames) = CheckSchema(input.Schema, "input");
        if (TrainerOptions.ValidationSet is { } validation)
        {
            var (validationClip, validationClasses, _) = CheckSchema(validation.Schema, "validation");
            if (!validationClip.SameView(clip) || validationClasses != numClasses)
                throw new ArgumentOutOfRangeException(nameof(input),
                    $"The ValidationSet's clip column holds {validationClip} with {validationClasses} classes; the training data has {clip} with {numClasses} classes. They must agree.");
        }
        int seed = Seeding.Resolve(TrainerOptions.Seed, Environment);
        var device = DeviceResolver.Resolve(TrainerOptions.Device);
        TrainingDevice = device;
        var (spec, network, _, frozen) = BuildNetwork(clip, numClasses, seed);
        try
        {
            network.to(device);
            // Fine-tuning settings change the optimizer's groups; they join the fingerprint only when used, so checkpoints of
            // runs without them still resume.
            string fingerprint = Fingerprint(spec, clip, numClasses, seed)
                + (TrainerOptions.BackboneLearningRateScale != 1 || frozen.Parameters.Count > 0
                    ? $";backboneScale={TrainerOptions.BackboneLearningRateScale};frozenTensors={frozen.Parameters.Count}" : "");
            var run = new TrainingRun(Environment, FamilyName, TrainerOptions, network, clip, NetworkLayout, numClasses, seed, device, fingerprint, AuxiliaryLoss,
                OnTrainingBatch, EpochFamilyMetrics, ParameterLearningRateScale, frozen.Parameters.Count > 0 || frozen.NormNames.Count > 0 ? frozen : null,
                BatchFamilyMetrics);
            MLNetHost.LogInfo(Environment, FamilyName,
                $"Training {FamilyName} on {clip}, {numClasses} classes, {TrainerOptions.Epochs} epochs, batch {TrainerOptions.BatchSize}, device {device}, seed {seed}.");
            TorchTrainingLoop.Run(run, input);
            var info = new VideoClassifierInfo
            {
                ClipColumnName = TrainerOptions.ClipColumnName,
                ScoreColumnName = TrainerOptions.ScoreColumnName,
                PredictedLabelColumnName = TrainerOptions.PredictedLabelColumnName,
                Clip = clip with { Views = 1 },
                NetworkLayout = NetworkLayout,
                NumClasses = numClasses,
                ClassNames = classNames,
                Device = DeviceResolver.Describe(device),
            };
            return new VideoClassifierTransformer<TSpec>(Environment, Backbone, spec, network, info, DescribeOptions(), device);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The network <see cref="Fit"/> trains, before training: the spec for this data, the network built under
    /// <paramref name="seed"/>, <see cref="VideoTrainerOptionsBase.InitialWeights"/> imported (report written to the log) and
    /// the frozen parts applied. On the CPU; the caller owns the network.
    /// </summary>
    internal (TSpec Spec, nn.Module<Tensor, Tensor> Network, InitialWeightsReport? Report, FrozenParts Frozen) BuildNetwork(
        ClipGeometry clip, int numClasses, int seed)
    {
        if (TrainerOptions is PixelClipTrainerOptionsBase pixelOptions)
            pixelOptions.CheckClip(clip);
        var requirements = Backbone.InputFor(null);
        if (!requirements.AreMetBy(clip))
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName, requirements.ToString(), clip.ToString());
        var spec = CreateSpec(clip, numClasses);
        requirements = Backbone.InputFor(spec);
        if (!requirements.AreMetBy(clip))
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName, requirements.ToString(), clip.ToString());
        Seeding.ApplyToTorch(seed);
        var network = CreateNetwork(spec);
        try
        {
            InitialWeightsReport? report = null;
            if (TrainerOptions.InitialWeights is { } path)
            {
                report = InitialWeightsImport.Load(network, path, FamilyName, Backbone.CheckpointLayouts(spec), Backbone.IsHeadKey, numClasses);
                MLNetHost.LogInfo(Environment, FamilyName, report.ToString());
            }
            var frozen = FrozenParts.Apply(network, TrainerOptions, FamilyName, Backbone.IsHeadKey, Backbone.StageOf, Backbone.StageCount(spec), FrozenBatchNorms(network));
            if (frozen.Parameters.Count > 0 || frozen.NormNames.Count > 0)
                MLNetHost.LogInfo(Environment, FamilyName, $"Fine-tuning: {frozen}.");
            return (spec, network, report, frozen);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    // The family's scale times BackboneLearningRateScale for everything but the head.
    private double ParameterLearningRateScale(string parameterName)
        => (Backbone.IsHeadKey(parameterName) ? 1.0 : TrainerOptions.BackboneLearningRateScale) * LearningRateScale(parameterName);

    /// <summary>Adds Score and PredictedLabel to the input shape after checking the clip and label columns.</summary>
    /// <param name="inputSchema">The input shape.</param>
    /// <returns>The output shape.</returns>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var clip = inputSchema.LastOrDefault(c => c.Name == TrainerOptions.ClipColumnName);
        if (clip.Name is null)
            throw SchemaErrors.ColumnNotFound("clip", TrainerOptions.ClipColumnName);
        if (clip.Kind != SchemaShape.Column.VectorKind.Vector || clip.ItemType != NumberDataViewType.Single)
            throw SchemaErrors.Mismatch("clip", TrainerOptions.ClipColumnName, "Vector<Single, C, T, H, W>", SchemaShapes.Describe(clip));
        var label = inputSchema.LastOrDefault(c => c.Name == TrainerOptions.LabelColumnName);
        if (label.Name is null)
            throw SchemaErrors.ColumnNotFound("label", TrainerOptions.LabelColumnName);
        if (!label.IsKey || label.Kind != SchemaShape.Column.VectorKind.Scalar)
            throw SchemaErrors.Mismatch("label", TrainerOptions.LabelColumnName, "Key", SchemaShapes.Describe(label));
        bool named = label.Annotations.Any(a => a.Name == "KeyValues");
        var textVector = new VectorDataViewType(TextDataViewType.Instance, 1);
        var score = SchemaShapes.Column(TrainerOptions.ScoreColumnName, new VectorDataViewType(NumberDataViewType.Single, 1),
            named ? SchemaShapes.Annotations(SchemaShapes.Column("SlotNames", textVector)) : null);
        var predicted = SchemaShapes.Column(TrainerOptions.PredictedLabelColumnName, new KeyDataViewType(typeof(uint), uint.MaxValue),
            named ? SchemaShapes.Annotations(SchemaShapes.Column("KeyValues", textVector)) : null);
        return SchemaShapes.Append(inputSchema,
            [score, predicted, .. Backbone.ExtraOutputColumns.Select(name => SchemaShapes.Column(name, NumberDataViewType.Single))]);
    }

    /// <summary>The clip column's dimension order: <see cref="VideoTrainerOptionsBase.ClipLayout"/> when set, else the
    /// column's <c>ClipLayout</c> annotation (LoadVideoFrames), else the network's; an option that contradicts the
    /// annotation is refused, naming both.</summary>
    private ClipLayout ColumnLayout(DataViewSchema.Column column)
    {
        ClipLayout? annotated = null;
        if (column.Annotations.Schema.GetColumnOrNull(VideoFrameLoadingTransformer.LayoutAnnotationName) is { Type: TextDataViewType })
        {
            var text = default(ReadOnlyMemory<char>);
            column.Annotations.GetValue(VideoFrameLoadingTransformer.LayoutAnnotationName, ref text);
            var dims = text.ToString().Split(';')[0].Trim();
            if (dims.StartsWith("views,", StringComparison.Ordinal)) dims = dims["views,".Length..];
            annotated = dims.StartsWith("frames,channels", StringComparison.Ordinal) ? ClipLayout.Tchw
                : dims.StartsWith("channels,frames", StringComparison.Ordinal) ? ClipLayout.Cthw : null;
        }
        if (TrainerOptions.ClipLayout is { } chosen && annotated is { } found && chosen != found)
            throw new ArgumentOutOfRangeException(nameof(VideoTrainerOptionsBase.ClipLayout), chosen,
                $"ClipLayout is {chosen}, but the clip column '{column.Name}' holds {found} clips (its {VideoFrameLoadingTransformer.LayoutAnnotationName} annotation, " +
                $"written by LoadVideoFrames). Leave ClipLayout unset to follow the column, or load the frames with Layout = {chosen}.");
        return TrainerOptions.ClipLayout ?? annotated ?? Backbone.NetworkLayout;
    }

    private (ClipGeometry Clip, int NumClasses, string[]? ClassNames) CheckSchema(DataViewSchema schema, string role)
    {
        string clipRole = role == "input" ? "clip" : $"{role} clip";
        string labelRole = role == "input" ? "label" : $"{role} label";
        var clipColumn = schema.GetColumnOrNull(TrainerOptions.ClipColumnName) ?? throw SchemaErrors.ColumnNotFound(clipRole, TrainerOptions.ClipColumnName);
        var clip = ClipGeometry.TryFrom(clipColumn.Type, ColumnLayout(clipColumn))
            ?? throw SchemaErrors.Mismatch(clipRole, TrainerOptions.ClipColumnName,
                "Vector<Single, C, T, H, W> (or [T, C, H, W] with ClipLayout = Tchw, or [K, …] for K views)",
                SchemaErrors.Describe(clipColumn.Type));
        var labelColumn = schema.GetColumnOrNull(TrainerOptions.LabelColumnName) ?? throw SchemaErrors.ColumnNotFound(labelRole, TrainerOptions.LabelColumnName);
        if (labelColumn.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw SchemaErrors.Mismatch(labelRole, TrainerOptions.LabelColumnName, "Key", SchemaErrors.Describe(labelColumn.Type));
        if (key.Count < 2 || key.Count > int.MaxValue)
            throw SchemaErrors.Mismatch(labelRole, TrainerOptions.LabelColumnName, "Key with 2 or more values", SchemaErrors.Describe(labelColumn.Type));
        string[]? names = null;
        var keyValues = labelColumn.Annotations.Schema.GetColumnOrNull("KeyValues");
        if (keyValues is { Type: VectorDataViewType { ItemType: TextDataViewType } })
        {
            var buffer = default(VBuffer<ReadOnlyMemory<char>>);
            labelColumn.Annotations.GetValue("KeyValues", ref buffer);
            names = buffer.DenseValues().Select(v => v.ToString()).ToArray();
            if (names.Length != (int)key.Count) names = null;
        }
        return (clip, (int)key.Count, names);
    }

    private string Fingerprint(TSpec spec, ClipGeometry clip, int numClasses, int seed)
        => $"spec={JsonSerializer.Serialize(spec)};clip={clip};classes={numClasses};optimizer={TrainerOptions.Optimizer};batch={TrainerOptions.BatchSize};" +
           $"accumulation={TrainerOptions.GradientAccumulationSteps};seed={seed}";
}
