using Microsoft.ML;
using MLNetVideo.Interop;
using MLNetVideo.Transforms.TemporalClustering;

namespace MLNetVideo;

/// <summary>Entry points for MLNetVideo's video transforms on <see cref="TransformsCatalog"/>.</summary>
public static class VideoTransformsCatalog
{
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
