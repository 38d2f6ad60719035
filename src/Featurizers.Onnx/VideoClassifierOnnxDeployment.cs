using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers;

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>
/// Deploys a trained video classifier without libtorch: its scoring graph (<see cref="VideoClassifierOnnx.ExportScoringGraph"/>)
/// wrapped in ML.NET's own <c>ApplyOnnxModel</c> transformer, followed by ML.NET's own multiclass scorer, and saved as an
/// ordinary ML.NET model zip with the classifier's <c>Score</c> and <c>PredictedLabel</c> columns. Loading and scoring
/// that zip needs Microsoft.ML, Microsoft.ML.OnnxTransformer and an ONNX Runtime package only — neither TorchSharp nor
/// MLNetVideo.
/// </summary>
public static class VideoClassifierOnnxDeployment
{
    /// <summary>Creates ML.NET's ONNX transformer over the classifier's scoring graph, then ML.NET's multiclass prediction
    /// transformer over its probabilities: together they read the clip column and write the score column (averaged
    /// probabilities, as the classifier's <c>Score</c>, with the class names as SlotNames) and the predicted-label column (the
    /// key of the most probable class with the class names as KeyValues, as the classifier's <c>PredictedLabel</c> and ML.NET's
    /// multiclass trainers). The graph is written to <paramref name="onnxPath"/>, which ML.NET embeds in the zip when the
    /// transformer is saved.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="transformer">A trained classifier.</param>
    /// <param name="onnxPath">Where to write the scoring graph.</param>
    /// <param name="inputSchema">Schema of the data the transformer will read (the clip column's type is checked there).</param>
    /// <returns>The chain: the ONNX transformer, then the multiclass scorer.</returns>
    /// <remarks>The scorer is a linear multiclass predictor with identity weights and zero biases over the probabilities, so
    /// its scores are the graph's probabilities exactly and its predicted label their first largest, as the classifier's.</remarks>
    public static ITransformer CreateOnnxScorer<TSpec>(MLContext mlContext, VideoClassifierTransformer<TSpec> transformer,
        string onnxPath, DataViewSchema inputSchema)
        where TSpec : class
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(inputSchema);
        VideoClassifierOnnx.ExportScoringGraph(transformer, onnxPath);
        var info = transformer.Info;
        return CreateScorer(mlContext, onnxPath, inputSchema, info.ClipColumnName, [1, info.Clip.Views, .. info.Clip.ViewDimensions().Select(d => (int)d)],
            info.ScoreColumnName, info.PredictedLabelColumnName, info.ClassNames);
    }

    /// <summary>The ML.NET part of <see cref="CreateOnnxScorer"/>, over any graph that reads <paramref name="inputColumn"/>
    /// and writes the class probabilities as <paramref name="scoreColumn"/> (tested alone on each supported ML.NET).</summary>
    internal static ITransformer CreateScorer(MLContext mlContext, string onnxPath, DataViewSchema inputSchema, string inputColumn, int[] inputShape,
        string scoreColumn, string predictedLabelColumn, IReadOnlyList<string>? classNames)
    {
        var shape = new Dictionary<string, int[]> { [inputColumn] = inputShape };
        var onnx = mlContext.Transforms.ApplyOnnxModel([scoreColumn], [inputColumn], onnxPath, shape, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100)
            .Fit(new EmptyData(inputSchema));
        var scorer = Interop.MulticlassScoreBridge.Create(mlContext, onnx.GetOutputSchema(inputSchema), scoreColumn, scoreColumn, predictedLabelColumn, classNames);
        return new TransformerChain<ITransformer>(onnx, scorer);
    }

    /// <summary>Saves the classifier as an ML.NET model zip that scores with ONNX Runtime only (see the class remarks).</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="transformer">A trained classifier.</param>
    /// <param name="inputSchema">Schema of the data the saved model will read.</param>
    /// <param name="zipPath">The zip to write.</param>
    public static void SaveWithoutLibTorch<TSpec>(MLContext mlContext, VideoClassifierTransformer<TSpec> transformer,
        DataViewSchema inputSchema, string zipPath)
        where TSpec : class
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(zipPath);
        string onnx = Path.Combine(Path.GetTempPath(), $"mlnetvideo-deploy-{Guid.NewGuid():N}.onnx");
        try
        {
            var scorer = CreateOnnxScorer(mlContext, transformer, onnx, inputSchema);
            mlContext.Model.Save(scorer, inputSchema, zipPath);
            (scorer as IDisposable)?.Dispose();
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    /// <summary>A row-less data view of a given schema: ML.NET's ONNX estimator only reads the schema when fitting.</summary>
    private sealed class EmptyData(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema => schema;

        public long? GetRowCount() => 0;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(schema)];

        private sealed class Cursor(DataViewSchema schema) : DataViewRowCursor
        {
            public override DataViewSchema Schema => schema;

            public override long Position => -1;

            public override long Batch => 0;

            public override bool MoveNext() => false;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId value) => value = default;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
                => throw new InvalidOperationException("An empty data view has no rows to read.");

            public override bool IsColumnActive(DataViewSchema.Column column) => false;
        }
    }
}
