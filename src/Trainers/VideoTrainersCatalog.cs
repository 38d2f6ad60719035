using Microsoft.ML;
using MLNetVideo.Interop;
using MLNetVideo.Trainers.AFNet;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Trainers.Evl;
using MLNetVideo.Trainers.MoViNet;
using MLNetVideo.Trainers.Tsm;

namespace MLNetVideo;

/// <summary>Entry points for MLNetVideo's video classifiers on <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
public static class VideoTrainersCatalog
{
    /// <summary>
    /// Creates an <see cref="S3DTrainer"/> that trains an S3D or S3D-G network on the clips in <paramref name="clipColumnName"/>.
    /// </summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/simple/*"/>
    /// <param name="clipColumnName">Clip column: a known-size vector of <see cref="float"/> with dimensions [3, T, H, W]
    /// (or [K, 3, T, H, W] for K views), at least 8 frames of 32×32.</param>
    /// <param name="variant">S3D or S3D-G.</param>
    /// <param name="learningRate">Peak learning rate (SGD with momentum 0.9, cosine schedule).</param>
    /// <param name="widthMultiplier">Channel multiplier (1.0 = the paper's network).</param>
    /// <returns>The trainer.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.MulticlassClassification.Trainers.S3D("Label", "Frames", S3DVariant.S3DG, epochs: 20))
    ///     .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    /// </code></example>
    public static S3DTrainer S3D(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string clipColumnName = "Frames",
        S3DVariant variant = S3DTrainer.Defaults.Variant,
        int epochs = S3DTrainer.Defaults.Epochs,
        int batchSize = S3DTrainer.Defaults.BatchSize,
        double learningRate = S3DTrainer.Defaults.LearningRate,
        double widthMultiplier = S3DTrainer.Defaults.WidthMultiplier)
        => S3D(catalog, Common(new S3DTrainer.Options { Variant = variant, WidthMultiplier = widthMultiplier }, labelColumnName, clipColumnName, epochs, batchSize, learningRate));

    /// <summary>Creates an <see cref="S3DTrainer"/> with every option exposed.</summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/options/*"/>
    public static S3DTrainer S3D(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, S3DTrainer.Options options) => new(MLNetHost.From(catalog), options);

    /// <summary>
    /// Creates a <see cref="TsmTrainer"/> that trains a TSM-ResNet network on the clips in <paramref name="clipColumnName"/>,
    /// optionally with "No frame left behind" temporal clustering after the first stage.
    /// </summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/simple/*"/>
    /// <param name="clipColumnName">Clip column: a known-size vector of <see cref="float"/> with dimensions [T, 3, H, W]
    /// (or [K, T, 3, H, W] for K views), frames of at least 32×32; with clustering, all frames of the video.</param>
    /// <param name="depth">ResNet-18, -34 or -50.</param>
    /// <param name="clustering">Temporal clustering after <c>layer1</c>, or <see cref="TsmClustering.None"/> for plain TSM.</param>
    /// <param name="clusterCount">g: pseudo-frames the deep stages see when clustering.</param>
    /// <param name="learningRate">Peak learning rate (SGD with momentum 0.9, cosine schedule).</param>
    /// <returns>The trainer.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.MulticlassClassification.Trainers.Tsm("Label", "Frames", TsmDepth.ResNet50, TsmClustering.Cumulative, clusterCount: 8))
    ///     .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    /// </code></example>
    public static TsmTrainer Tsm(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string clipColumnName = "Frames",
        TsmDepth depth = TsmTrainer.Defaults.Depth,
        TsmClustering clustering = TsmTrainer.Defaults.Clustering,
        int clusterCount = TsmTrainer.Defaults.ClusterCount,
        int epochs = TsmTrainer.Defaults.Epochs,
        int batchSize = TsmTrainer.Defaults.BatchSize,
        double learningRate = TsmTrainer.Defaults.LearningRate)
        => Tsm(catalog, Common(new TsmTrainer.Options { Depth = depth, Clustering = clustering, ClusterCount = clusterCount }, labelColumnName, clipColumnName, epochs, batchSize, learningRate));

    /// <summary>Creates a <see cref="TsmTrainer"/> with every option exposed.</summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/options/*"/>
    public static TsmTrainer Tsm(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, TsmTrainer.Options options) => new(MLNetHost.From(catalog), options);

    /// <summary>
    /// Creates an <see cref="EvlTrainer"/> that trains an EVL decoder ("Frozen CLIP Models are Efficient Video Learners") on the
    /// frozen CLIP features in <paramref name="featuresColumnName"/> (from <c>mlContext.Transforms.FeaturizeVideoWithClip</c>).
    /// </summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/simple/*"/>
    /// <param name="featuresColumnName">CLIP feature column: Vector&lt;Single, 3·M, T, tokens, W&gt; (block outputs, q, k).</param>
    /// <param name="learningRate">Peak learning rate (AdamW, weight decay 0.05, cosine schedule).</param>
    /// <returns>The trainer.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.LoadVideoFrames("Frames", "VideoPath", framesPerClip: 8)
    ///     .Append(mlContext.Transforms.FeaturizeVideoWithClip("ClipFeatures", "Frames", "clip-vit-base-patch16.safetensors"))
    ///     .Append(mlContext.Transforms.Conversion.MapValueToKey("Label"))
    ///     .Append(mlContext.MulticlassClassification.Trainers.Evl("Label", "ClipFeatures", epochs: 20));
    /// </code></example>
    public static EvlTrainer Evl(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string featuresColumnName = EvlTrainer.Defaults.FeaturesColumnName,
        int epochs = EvlTrainer.Defaults.Epochs,
        int batchSize = EvlTrainer.Defaults.BatchSize,
        double learningRate = EvlTrainer.Defaults.LearningRate)
        => Evl(catalog, Common(new EvlTrainer.Options(), labelColumnName, featuresColumnName, epochs, batchSize, learningRate));

    /// <summary>Creates an <see cref="EvlTrainer"/> with every option exposed.</summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/options/*"/>
    public static EvlTrainer Evl(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, EvlTrainer.Options options) => new(MLNetHost.From(catalog), options);

    /// <summary>
    /// Creates a <see cref="MoViNetTrainer"/> that trains a MoViNet A0/A1/A2 (base or stream) on the clips in
    /// <paramref name="clipColumnName"/>. A stream-mode model classifies live video frame by frame with constant memory
    /// through <see cref="MoViNetStreaming.CreateStream(Microsoft.ML.ITransformer)"/>.
    /// </summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/simple/*"/>
    /// <param name="clipColumnName">Clip column: a known-size vector of <see cref="float"/> with dimensions [3, T, H, W]
    /// (or [K, 3, T, H, W] for K views), frames of at least 32×32, RGB in [0, 1] for the official recipe.</param>
    /// <param name="variant">A0, A1 or A2.</param>
    /// <param name="mode">Base (non-causal) or stream (causal, streamable).</param>
    /// <param name="learningRate">Peak learning rate (SGD with momentum 0.9, cosine schedule).</param>
    /// <returns>The trainer.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.MulticlassClassification.Trainers.MoViNet("Label", "Frames", MoViNetVariant.A0, MoViNetMode.Stream));
    /// var model = pipeline.Fit(data);
    /// using var stream = model.CreateStream();
    /// float[] logits = stream.Push(frame, 172, 172);
    /// </code></example>
    public static MoViNetTrainer MoViNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string clipColumnName = "Frames",
        MoViNetVariant variant = MoViNetTrainer.Defaults.Variant,
        MoViNetMode mode = MoViNetTrainer.Defaults.Mode,
        int epochs = MoViNetTrainer.Defaults.Epochs,
        int batchSize = MoViNetTrainer.Defaults.BatchSize,
        double learningRate = MoViNetTrainer.Defaults.LearningRate)
        => MoViNet(catalog, Common(new MoViNetTrainer.Options { Variant = variant, Mode = mode }, labelColumnName, clipColumnName, epochs, batchSize, learningRate));

    /// <summary>Creates a <see cref="MoViNetTrainer"/> with every option exposed.</summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/options/*"/>
    public static MoViNetTrainer MoViNet(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MoViNetTrainer.Options options) => new(MLNetHost.From(catalog), options);

    /// <summary>
    /// Creates an <see cref="AFNetTrainer"/> that trains an AFNet (AF-ResNet with ample and focal branches and navigation
    /// modules that skip frames) on the clips in <paramref name="clipColumnName"/>.
    /// </summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/simple/*"/>
    /// <param name="clipColumnName">Clip column: a known-size vector of <see cref="float"/> with dimensions [T, 3, H, W]
    /// (or [K, T, 3, H, W] for K views), frames of at least 32×32.</param>
    /// <param name="depth">AF-ResNet-50 (reference) or AF-ResNet-18.</param>
    /// <param name="targetRatio">RT: fraction of frames the focal branches should compute, in (0, 1].</param>
    /// <param name="learningRate">Peak learning rate (SGD with momentum 0.9, cosine schedule).</param>
    /// <returns>The trainer.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.MulticlassClassification.Trainers.AFNet("Label", "Frames", AFNetDepth.ResNet50, targetRatio: 0.4))
    ///     .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
    /// // The scored data also has a "SelectedFrameRatio" column (Single).
    /// </code></example>
    public static AFNetTrainer AFNet(
        this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label",
        string clipColumnName = "Frames",
        AFNetDepth depth = AFNetTrainer.Defaults.Depth,
        double targetRatio = AFNetTrainer.Defaults.TargetRatio,
        int epochs = AFNetTrainer.Defaults.Epochs,
        int batchSize = AFNetTrainer.Defaults.BatchSize,
        double learningRate = AFNetTrainer.Defaults.LearningRate)
        => AFNet(catalog, Common(new AFNetTrainer.Options { Depth = depth, TargetRatio = targetRatio }, labelColumnName, clipColumnName, epochs, batchSize, learningRate));

    /// <summary>Creates an <see cref="AFNetTrainer"/> with every option exposed.</summary>
    /// <include file="VideoTrainersCatalog.xml" path="catalog/options/*"/>
    public static AFNetTrainer AFNet(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, AFNetTrainer.Options options) => new(MLNetHost.From(catalog), options);

    // The settings every simple overload shares.
    private static T Common<T>(T options, string labelColumnName, string clipColumnName, int epochs, int batchSize, double learningRate)
        where T : Trainers.VideoTrainerOptionsBase
    {
        options.LabelColumnName = labelColumnName;
        options.ClipColumnName = clipColumnName;
        options.Epochs = epochs;
        options.BatchSize = batchSize;
        options.LearningRate = learningRate;
        return options;
    }
}
