using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MLNetVideo.Errors;
using MLNetVideo.Interop;

namespace MLNetVideo.Transforms.TemporalClustering;

/// <summary>
/// Merges a sequence of per-frame feature vectors (T×D) into g temporal clusters (g×D), with the parameter-free
/// clustering of "No frame left behind: Full Video Action Recognition" (Liu, Pintea, Karimi Nejadasl, Booij,
/// van Gemert, CVPR 2021). Create it with <c>mlContext.Transforms.AggregateTemporalClusters(...)</c>.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// ### Estimator characteristics
/// | | |
/// | -- | -- |
/// | Does this estimator need to look at the data to train its parameters? | No |
/// | Input column data type | Known-size vector of <xref:System.Single> with dimensions [T, D...] (or any known size with `FramesPerRow` = T) |
/// | Output column data type | Known-size vector of <xref:System.Single> with dimensions [g, D...] |
/// | Required NuGet in addition to Microsoft.ML | MLNetVideo.Transforms |
/// | Exportable to ONNX | No |
/// | GPU support | Not needed (integer popcounts on the CPU); the tensor version is <xref:MLNetVideo.Transforms.TemporalClustering.TorchTemporalClustering> |
///
/// ### Input and output columns
/// | Output column name | Column type | Description |
/// | -- | -- | -- |
/// | `OutputColumnName` | Vector<Single, g, D...> | cluster k's aggregate (sum or mean of its frames) in row k, clusters in temporal order |
///
/// The input column holds T frames of D values each, frame after frame: for example CLIP image features of every
/// frame of a video, [T, 512]. Trailing dimensions after T are kept in the output ([T, C, H, W] → [g, C, H, W]).
///
/// ### Algorithm ("No Frame Left Behind", CVPR 2021)
/// Every frame is binarised (value > 0), consecutive frames are compared by normalised Hamming distance
/// (bit-packed popcount), and the sequence is cut into exactly g contiguous clusters: `Cumulative` splits the total
/// change into g equal budgets (§6.4), `Slope` cuts at the g − 1 largest changes (§6.5). Each cluster becomes the sum
/// (paper) or mean (reference code) of its frames. Cost O(T·D) per row. Static sequences fall back to g uniform
/// segments; a sequence shorter than g repeats frames evenly. <xref:MLNetVideo.Transforms.TemporalClustering.TemporalClusterer>
/// documents every rule and edge case.
/// ]]></format>
/// </remarks>
public sealed class TemporalClusteringEstimator : IEstimator<TemporalClusteringTransformer>
{
    internal static class Defaults
    {
        public const string OutputColumnName = "Clusters";
        public const int ClusterCount = 8;
        public const ClusteringMethod Method = ClusteringMethod.Cumulative;
        public const ClusterAggregation Aggregation = ClusterAggregation.Mean;
    }

    /// <summary>Settings of <see cref="TemporalClusteringEstimator"/>.</summary>
    public sealed class Options
    {
        /// <summary>Column to create: Vector&lt;Single, g, D...&gt;. Default "Clusters".</summary>
        public string OutputColumnName { get; set; } = Defaults.OutputColumnName;

        /// <summary>Column of per-frame features: a known-size Vector&lt;Single&gt; with dimensions [T, D...], or of
        /// size T·D when <see cref="FramesPerRow"/> is set. <see langword="null"/> (default) means <see cref="OutputColumnName"/>.</summary>
        public string? InputColumnName { get; set; }

        /// <summary>g, the number of clusters each row is reduced to. Must be positive. Default 8 (the paper's
        /// Something-Something setting; it uses 16 for Breakfast). Rows with fewer than g frames repeat frames evenly.</summary>
        public int ClusterCount { get; set; } = Defaults.ClusterCount;

        /// <summary>How frames are grouped. Default <see cref="ClusteringMethod.Cumulative"/>, the paper's better method.</summary>
        public ClusteringMethod Method { get; set; } = Defaults.Method;

        /// <summary>How a cluster's frames are merged. Default <see cref="ClusterAggregation.Mean"/> (the reference code's
        /// choice): outputs stay on the scale of single-frame features whatever the cluster length, which is what a
        /// classifier trained on per-frame features expects. <see cref="ClusterAggregation.Sum"/> is the paper's.</summary>
        public ClusterAggregation Aggregation { get; set; } = Defaults.Aggregation;

        /// <summary>T, the number of frames in each row. <see langword="null"/> (default) takes T from the first dimension
        /// of the input column's type. Set it for a flat vector of T·D values; it must then divide the vector size, and the
        /// output has dimensions [g, size / T] (or [g, D...] when the input's first dimension already equals T).</summary>
        public int? FramesPerRow { get; set; }

        internal void Validate()
        {
            OptionChecks.NotEmpty(OutputColumnName, nameof(OutputColumnName));
            if (InputColumnName is not null)
                OptionChecks.NotEmpty(InputColumnName, nameof(InputColumnName));
            OptionChecks.Positive(ClusterCount, nameof(ClusterCount));
            OptionChecks.Defined(Method, nameof(Method));
            OptionChecks.Defined(Aggregation, nameof(Aggregation));
            if (FramesPerRow is { } frames)
                OptionChecks.Positive(frames, nameof(FramesPerRow));
        }

        /// <summary>A validated copy with <see cref="InputColumnName"/> resolved.</summary>
        internal Options Resolved()
        {
            Validate();
            return new Options
            {
                OutputColumnName = OutputColumnName,
                InputColumnName = InputColumnName ?? OutputColumnName,
                ClusterCount = ClusterCount,
                Method = Method,
                Aggregation = Aggregation,
                FramesPerRow = FramesPerRow,
            };
        }
    }

    private readonly IHostEnvironment _environment;
    private readonly Options _options;

    internal TemporalClusteringEstimator(IHostEnvironment environment, Options options)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(options);
        _environment = environment;
        _options = options.Resolved();   // private copy: later edits of the caller's object change nothing
    }

    /// <summary>Checks the input column and returns the transformer (nothing is learned from the data).</summary>
    /// <param name="input">Data whose schema holds the input column.</param>
    /// <returns>The transformer.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or has the wrong type.</exception>
    public TemporalClusteringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var transformer = new TemporalClusteringTransformer(_environment, _options);
        _ = transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>The input schema plus the output column (a known-size vector of <see cref="float"/>).</summary>
    /// <param name="inputSchema">The input schema shape.</param>
    /// <returns>The output schema shape.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The input column is missing or is not a known-size vector of Single.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        string inputName = _options.InputColumnName!;
        ArgumentNullException.ThrowIfNull(inputSchema);
        var found = inputSchema.Where(c => c.Name == inputName).Select(c => (SchemaShape.Column?)c).LastOrDefault();
        if (found is not { } column)
            throw SchemaErrors.ColumnNotFound("input", inputName);
        if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.IsKey || !column.ItemType.Equals(NumberDataViewType.Single))
            throw SchemaErrors.Mismatch("input", inputName, "known-size Vector<Single>", SchemaShapes.Describe(column));
        // A SchemaShape records kind and item type only; the g×D dimensions are known once a real schema is seen.
        var output = SchemaShapes.Column(_options.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, _options.ClusterCount));
        return SchemaShapes.Append(inputSchema, output);
    }
}
