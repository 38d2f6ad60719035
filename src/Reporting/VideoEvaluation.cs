using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Reporting;

/// <summary>Scores labelled videos with a trained model and builds an <see cref="EvaluationReport"/>.</summary>
public static class VideoEvaluation
{
    /// <summary>
    /// Evaluates <paramref name="model"/> (a fitted pipeline that ends with a video classifier, optionally followed by
    /// <c>MapKeyToValue</c> steps) on <paramref name="data"/> (rows with the model's input columns and a key-typed or
    /// text label). Clips are decoded and scored once, with progress when <paramref name="progress"/> is given.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="model">The trained model (for example loaded from a zip).</param>
    /// <param name="data">Labelled rows to evaluate.</param>
    /// <param name="labelColumnName">Label column after the model's own label mapping.</param>
    /// <param name="progress">Reports scored videos, or null for none.</param>
    /// <param name="onDecodeError">Null (default): a video that cannot be decoded stops the evaluation with its
    /// <see cref="VideoDecodingException"/>. Otherwise such a video is left out, reported here (path and reason), and the
    /// metrics are computed over the rest.</param>
    /// <returns>The metrics.</returns>
    public static EvaluationReport Evaluate(MLContext mlContext, ITransformer model, IDataView data,
        string labelColumnName = "Label", ConsoleProgress? progress = null, Action<VideoDecodingException>? onDecodeError = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var scorer = WithoutTrailingKeyToValue(model);
        var scored = scorer.Transform(data);
        if (scored.Schema.GetColumnOrNull("Score") is null)
            throw new InvalidOperationException("The model has no Score column: it does not end with a video classifier.");
        if (onDecodeError is not null)
            scored = ScoreSkippingUndecodable(mlContext, scored, labelColumnName, progress, onDecodeError);
        else if (progress is not null)
            scored = Materialize(mlContext, scored, "Score", progress);

        var names = ClassNames(scored.Schema);
        int topK = Math.Max(1, Math.Min(5, names.Length));
        var metrics = mlContext.MulticlassClassification.Evaluate(scored, labelColumnName, topKPredictionCount: topK);
        var counts = metrics.ConfusionMatrix.Counts.Select(row => (IReadOnlyList<int>)row.Select(c => (int)Math.Round(c)).ToArray()).ToArray();
        int classes = counts.Length;
        if (names.Length < classes) names = [.. names, .. Enumerable.Range(names.Length, classes - names.Length).Select(i => $"class {i}")];
        var perClass = Enumerable.Range(0, classes).Select(c =>
        {
            double p = metrics.ConfusionMatrix.PerClassPrecision[c], r = metrics.ConfusionMatrix.PerClassRecall[c];
            p = double.IsNaN(p) ? 0 : p;
            r = double.IsNaN(r) ? 0 : r;
            return new ClassMetrics(names[c], p, r, p + r > 0 ? 2 * p * r / (p + r) : 0, counts[c].Sum());
        }).ToArray();
        return new EvaluationReport
        {
            ClassNames = names[..classes],
            Count = counts.Sum(row => row.Sum()),
            MicroAccuracy = metrics.MicroAccuracy,
            MacroAccuracy = metrics.MacroAccuracy,
            TopK = topK,
            TopKAccuracy = metrics.TopKAccuracy,
            LogLoss = metrics.LogLoss,
            LogLossReduction = metrics.LogLossReduction,
            PerClass = perClass,
            ConfusionMatrix = counts,
            ConfusionTable = metrics.ConfusionMatrix.GetFormattedConfusionTable(),
        };
    }

    /// <summary>
    /// Caches <paramref name="data"/> in memory and reads it once, so that every row's <paramref name="columnName"/>
    /// (for example decoded clips) is computed now, with progress, and never again by later passes.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="data">Lazy rows.</param>
    /// <param name="columnName">The expensive column to compute.</param>
    /// <param name="progress">Reports rows done.</param>
    /// <returns>The cached rows.</returns>
    public static IDataView Materialize(MLContext mlContext, IDataView data, string columnName, ConsoleProgress progress)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(progress);
        var column = data.Schema.GetColumnOrNull(columnName)
            ?? throw new ArgumentException($"Column '{columnName}' does not exist.", nameof(columnName));
        long total = data.GetRowCount() ?? CountRows(data);
        var cached = mlContext.Data.Cache(data);
        progress.Start(total);
        using (var cursor = cached.GetRowCursor([cached.Schema[column.Name]]))
        {
            long done = 0;
            while (cursor.MoveNext())
                progress.Report(++done);
        }
        progress.Complete();
        return cached;
    }

    /// <summary>Scores every row once, leaving out (and reporting) rows whose video cannot be decoded, and returns the label,
    /// score and predicted label of the rest in memory, with the scored view's types and annotations.</summary>
    private static IDataView ScoreSkippingUndecodable(MLContext mlContext, IDataView scored, string labelColumnName,
        ConsoleProgress? progress, Action<VideoDecodingException> onDecodeError)
    {
        var schema = scored.Schema;
        var label = schema.GetColumnOrNull(labelColumnName) ?? throw new ArgumentException($"Column '{labelColumnName}' does not exist.", nameof(labelColumnName));
        var score = schema["Score"];
        var predicted = schema.GetColumnOrNull("PredictedLabel") ?? throw new InvalidOperationException("The model has no PredictedLabel column.");
        if (label.Type is not KeyDataViewType { RawType: var labelRaw } || labelRaw != typeof(uint) || predicted.Type.RawType != typeof(uint))
            throw new InvalidOperationException($"Column '{labelColumnName}' must be a key (map the label with MapValueToKey) to be evaluated.");
        long total = scored.GetRowCount() ?? CountRows(scored);
        progress?.Start(total);
        var rows = new List<ScoredRow>();
        using (var cursor = scored.GetRowCursor([label, score, predicted]))
        {
            var labelGetter = cursor.GetGetter<uint>(label);
            var scoreGetter = cursor.GetGetter<VBuffer<float>>(score);
            var predictedGetter = cursor.GetGetter<uint>(predicted);
            long done = 0;
            while (cursor.MoveNext())
            {
                uint key = 0, predictedKey = 0;
                var values = default(VBuffer<float>);
                try
                {
                    scoreGetter(ref values);
                    predictedGetter(ref predictedKey);
                }
                catch (Exception e) when (DecodingFailure(e) is { } failure)
                {
                    onDecodeError(failure);
                    progress?.Report(++done);
                    continue;
                }
                labelGetter(ref key);
                // LoadFromEnumerable reads a key-typed uint property as the 0-based index; a missing label (0) is left out, as
                // the evaluator would.
                if (key != 0 && predictedKey != 0)
                    rows.Add(new ScoredRow { Label = key - 1, Score = values.DenseValues().ToArray(), PredictedLabel = predictedKey - 1 });
                progress?.Report(++done);
            }
        }
        progress?.Complete();
        if (rows.Count == 0)
            throw new InvalidDataException($"None of the {total} videos could be decoded, so there is nothing to evaluate.");
        var definition = SchemaDefinition.Create(typeof(ScoredRow));
        Describe(definition[nameof(ScoredRow.Label)], label);
        Describe(definition[nameof(ScoredRow.Score)], score);
        Describe(definition[nameof(ScoredRow.PredictedLabel)], predicted);
        return mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    // The in-memory column gets the scored column's name, type and text annotations (KeyValues, SlotNames, score kinds).
    private static void Describe(SchemaDefinition.Column column, DataViewSchema.Column source)
    {
        column.ColumnName = source.Name;
        column.ColumnType = source.Type;
        foreach (var annotation in source.Annotations.Schema)
        {
            if (annotation.Type is VectorDataViewType { ItemType: TextDataViewType } vector)
            {
                var value = default(VBuffer<ReadOnlyMemory<char>>);
                source.Annotations.GetValue(annotation.Name, ref value);
                column.AddAnnotation(annotation.Name, value, vector);
            }
            else if (annotation.Type is TextDataViewType)
            {
                var value = default(ReadOnlyMemory<char>);
                source.Annotations.GetValue(annotation.Name, ref value);
                column.AddAnnotation(annotation.Name, value, TextDataViewType.Instance);
            }
            else if (annotation.Type is KeyDataViewType { RawType: var raw } keyType && raw == typeof(uint))
            {
                uint value = 0;
                source.Annotations.GetValue(annotation.Name, ref value);
                column.AddAnnotation(annotation.Name, value, keyType);
            }
        }
    }

    private static VideoDecodingException? DecodingFailure(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current is VideoDecodingException decoding) return decoding;
        return null;
    }

    private sealed class ScoredRow
    {
        public uint Label { get; set; }

        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }

    /// <summary>Class names from the Score column's slot names (written by MLNetVideo's classifiers), else "class i".</summary>
    /// <param name="schema">A scored schema.</param>
    /// <returns>One name per score slot.</returns>
    public static string[] ClassNames(DataViewSchema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        var score = schema["Score"];
        int size = score.Type is VectorDataViewType v ? v.Size : 0;
        if (score.HasSlotNames())
        {
            var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
            score.GetSlotNames(ref slotNames);
            var names = slotNames.DenseValues().Select(n => n.ToString()).ToArray();
            if (names.Length == size && names.All(n => n.Length > 0)) return names;
        }
        return Enumerable.Range(0, size).Select(i => $"class {i}").ToArray();
    }

    /// <summary>The model without the <c>MapKeyToValue</c> steps at its end (the evaluator wants key-typed labels).</summary>
    /// <param name="model">A fitted pipeline.</param>
    /// <returns>A scorer whose output has key-typed Label/PredictedLabel and a Score vector.</returns>
    public static ITransformer WithoutTrailingKeyToValue(ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var steps = Flatten(model).ToList();
        while (steps.Count > 1 && steps[^1] is KeyToValueMappingTransformer) steps.RemoveAt(steps.Count - 1);
        return new TransformerChain<ITransformer>([.. steps]);
    }

    /// <summary>Every step of a (possibly nested) transformer chain, in order.</summary>
    /// <param name="model">A fitted pipeline or a single transformer.</param>
    /// <returns>The leaf transformers.</returns>
    public static IEnumerable<ITransformer> Flatten(ITransformer model)
    {
        if (model is IEnumerable<ITransformer> chain)
        {
            foreach (var step in chain)
                foreach (var leaf in Flatten(step))
                    yield return leaf;
        }
        else
        {
            yield return model;
        }
    }

    private static long CountRows(IDataView data)
    {
        long n = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext()) n++;
        return n;
    }
}
