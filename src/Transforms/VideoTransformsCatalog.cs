using Microsoft.ML;
using MLNetVideo.Interop;
using MLNetVideo.Transforms.Decoding;

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
}
