using Microsoft.ML;
using MLNetVideo.Interop;
using MLNetVideo.Transforms.Decoding;
using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo;

/// <summary>Entry points for MLNetVideo's video transforms on <see cref="TransformsCatalog"/>.</summary>
public static class VideoTransformsCatalog
{
    /// <summary>
    /// Creates a <see cref="VideoFrameLoadingEstimator"/> that decodes the video (file or frame folder) whose path is in
    /// <paramref name="inputColumnName"/> and writes one fixed-size clip to <paramref name="outputColumnName"/>
    /// (dense sampling, short side resized then centre-cropped, values in [0, 1]).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Column to create. Its data type is a known-size vector of <see cref="float"/> with
    /// dimensions [framesPerClip, 3, frameSize, frameSize] (<see cref="ClipLayout.Tchw"/>) or [3, framesPerClip, frameSize, frameSize]
    /// (<see cref="ClipLayout.Cthw"/>).</param>
    /// <param name="inputColumnName">Text column holding video paths. <see langword="null"/> means <paramref name="outputColumnName"/>.</param>
    /// <param name="videoFolder">Folder that relative paths are resolved against; paths escaping it are refused.</param>
    /// <param name="framesPerClip">Frames per clip (clip_len). Must be positive.</param>
    /// <param name="frameInterval">Step between sampled frames. Must be positive.</param>
    /// <param name="frameSize">Output height and width in pixels. Must be positive.</param>
    /// <param name="layout">[T,C,H,W] for 2D/ViT backbones or [C,T,H,W] for 3D ones.</param>
    /// <returns>The estimator.</returns>
    /// <example><code language="csharp">
    /// var data = VideoDataset.FromDirectory(mlContext, "videos");            // VideoPath, Label
    /// var pipeline = mlContext.Transforms.LoadVideoFrames("Frames", "VideoPath", videoFolder: "videos",
    ///     framesPerClip: 8, frameInterval: 2, frameSize: 112, layout: ClipLayout.Cthw);
    /// var clips = pipeline.Fit(data).Transform(data);                        // Vector&lt;Single, 3, 8, 112, 112&gt;
    /// </code></example>
    public static VideoFrameLoadingEstimator LoadVideoFrames(
        this TransformsCatalog catalog,
        string outputColumnName,
        string? inputColumnName = null,
        string? videoFolder = null,
        int framesPerClip = VideoFrameLoadingEstimator.Defaults.FramesPerClip,
        int frameInterval = VideoFrameLoadingEstimator.Defaults.FrameInterval,
        int frameSize = VideoFrameLoadingEstimator.Defaults.FrameSize,
        ClipLayout layout = ClipLayout.Tchw)
        => LoadVideoFrames(catalog, new VideoFrameLoadingEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName ?? outputColumnName,
            VideoFolder = videoFolder,
            FramesPerClip = framesPerClip,
            FrameInterval = frameInterval,
            FrameSize = frameSize,
            Layout = layout,
        });

    /// <summary>Creates a <see cref="VideoFrameLoadingEstimator"/> with every option exposed (sampling mode, multi-view
    /// testing, resizing, flips, normalization, training-time randomness, error policy and limits).</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">All settings; validated here, so a bad value fails before any data is read.</param>
    /// <returns>The estimator.</returns>
    /// <example><code language="csharp">
    /// var pipeline = mlContext.Transforms.LoadVideoFrames(new VideoFrameLoadingEstimator.Options
    /// {
    ///     InputColumnName = "VideoPath", Sampling = SamplingMode.Uniform, FramesPerClip = 8,
    ///     Mode = VideoLoadingMode.Training, Normalization = PixelNormalization.ImageNet, OnDecodeError = DecodeErrorPolicy.Skip,
    /// });
    /// </code></example>
    public static VideoFrameLoadingEstimator LoadVideoFrames(this TransformsCatalog catalog, VideoFrameLoadingEstimator.Options options)
        => new(MLNetHost.From(catalog), options);
    #region Temporal clustering

    /// <summary>
    /// Creates a <see cref="TemporalClusteringEstimator"/> that reduces the T per-frame feature vectors in
    /// <paramref name="inputColumnName"/> to <paramref name="clusterCount"/> temporal cluster aggregates in
    /// <paramref name="outputColumnName"/> ("No frame left behind", CVPR 2021).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">Column to create. This column's data type will be a known-size vector of
    /// <see cref="float"/> with dimensions [g, D...]: cluster k's sum or mean in row k, clusters in temporal order.</param>
    /// <param name="inputColumnName">Column of per-frame features: a known-size vector of <see cref="float"/> with
    /// dimensions [T, D...] (for example CLIP features [T, 512]), or of size T·D when <paramref name="framesPerRow"/>
    /// is set. <see langword="null"/> means <paramref name="outputColumnName"/>.</param>
    /// <param name="clusterCount">g, the number of clusters per row. Must be positive.</param>
    /// <param name="method">Cumulative (equal change budgets) or slope (cut at the largest changes).</param>
    /// <param name="aggregation">Mean (reference code, default) or sum (paper) of each cluster's frames.</param>
    /// <param name="framesPerRow">T for a flat input vector; <see langword="null"/> takes T from the first dimension.</param>
    /// <returns>The estimator.</returns>
    /// <example><code language="csharp">
    /// // "Frames" holds CLIP features of 64 frames per video: Vector&lt;Single, 64, 512&gt;.
    /// var pipeline = mlContext.Transforms.AggregateTemporalClusters("Clusters", "Frames", clusterCount: 8)
    ///     .Append(mlContext.Transforms.CopyColumns("Features", "Clusters"));   // Vector&lt;Single, 8, 512&gt;
    /// </code></example>
    public static TemporalClusteringEstimator AggregateTemporalClusters(
        this TransformsCatalog catalog,
        string outputColumnName,
        string? inputColumnName = null,
        int clusterCount = TemporalClusteringEstimator.Defaults.ClusterCount,
        ClusteringMethod method = TemporalClusteringEstimator.Defaults.Method,
        ClusterAggregation aggregation = TemporalClusteringEstimator.Defaults.Aggregation,
        int? framesPerRow = null)
        => AggregateTemporalClusters(catalog, new TemporalClusteringEstimator.Options
        {
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName ?? outputColumnName,
            ClusterCount = clusterCount,
            Method = method,
            Aggregation = aggregation,
            FramesPerRow = framesPerRow,
        });

    /// <summary>Creates a <see cref="TemporalClusteringEstimator"/> with every option exposed.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">All settings; validated here, so a bad value fails before any data is read.</param>
    /// <returns>The estimator.</returns>
    public static TemporalClusteringEstimator AggregateTemporalClusters(
        this TransformsCatalog catalog, TemporalClusteringEstimator.Options options)
        => new(MLNetHost.From(catalog), options);

    #endregion
}
