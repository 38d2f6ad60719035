using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace MLNetVideo.Interop;

/// <summary>
/// ML.NET's own multiclass scoring over probabilities computed elsewhere (an ONNX graph): a
/// <c>MulticlassPredictionTransformer</c> whose model is a linear multiclass predictor with identity weights and zero
/// biases, so its <c>Score</c> is the probability column itself (each score is 1 · p + 0, exact) and its
/// <c>PredictedLabel</c> is the key of the largest score with the label's KeyValues — the columns, types and annotations
/// ML.NET's multiclass trainers write. Saved and loaded by ML.NET alone (Microsoft.ML.StandardTrainers), so a zip holding
/// it needs no MLNetVideo component.
/// </summary>
/// <remarks>Both constructors are internal in ML.NET 5/6: the transformer's is reached through the publicized
/// Microsoft.ML.Data (see README.md), the predictor's (Microsoft.ML.StandardTrainers, not publicized) by reflection, with
/// a clear error if a later ML.NET changes it. The predictor's constructor is the same in 5.0.1 and 6.0.0
/// (OnnxOnlyZipTests, run on both).</remarks>
internal static class MulticlassScoreBridge
{
    /// <summary>Creates the scorer.</summary>
    /// <param name="mlContext">The context.</param>
    /// <param name="inputSchema">Schema holding <paramref name="probabilitiesColumn"/> (a known-size float vector).</param>
    /// <param name="probabilitiesColumn">The class probabilities (the features of the scorer).</param>
    /// <param name="scoreColumn">The score column to write.</param>
    /// <param name="predictedLabelColumn">The predicted-label column to write.</param>
    /// <param name="classNames">The class names in key order (the KeyValues of the predicted label), or null for a key
    /// without names.</param>
    /// <returns>The transformer.</returns>
    public static ITransformer Create(MLContext mlContext, DataViewSchema inputSchema, string probabilitiesColumn, string scoreColumn,
        string predictedLabelColumn, IReadOnlyList<string>? classNames)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var column = inputSchema.GetColumnOrNull(probabilitiesColumn)
            ?? throw new ArgumentException($"The schema has no column '{probabilitiesColumn}'.", nameof(probabilitiesColumn));
        if (column.Type is not VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } vector || vector.ItemType != NumberDataViewType.Single)
            throw new ArgumentException($"Column '{probabilitiesColumn}' must be a known-size vector of Single; it is {column.Type}.", nameof(probabilitiesColumn));
        int classes = vector.Size;
        if (classNames is not null && classNames.Count != classes)
            throw new ArgumentException($"{classNames.Count} class names for {classes} classes.", nameof(classNames));

        // The label column the scorer takes its KeyValues from (only its type and annotations are used, and saved).
        const string labelColumn = "Label";
        var label = new DataViewSchema.Annotations.Builder();
        if (classNames is not null)
        {
            var names = classNames.Select(n => n.AsMemory()).ToArray();
            label.AddKeyValues(classes, TextDataViewType.Instance, (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
        }
        var trainSchema = new DataViewSchema.Builder();
        trainSchema.AddColumn(probabilitiesColumn, column.Type, column.Annotations);
        trainSchema.AddColumn(labelColumn, new KeyDataViewType(typeof(uint), classes), label.ToAnnotations());

        var weights = new VBuffer<float>[classes];
        for (int c = 0; c < classes; c++)
            weights[c] = new VBuffer<float>(classes, 1, [1f], [c]);
        var predictor = CreateLinearPredictor(mlContext, weights, new float[classes], classes,
            classNames?.ToArray() ?? Enumerable.Range(0, classes).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        return new MulticlassPredictionTransformer<LinearMulticlassModelParameters>(mlContext, predictor, trainSchema.ToSchema(),
            probabilitiesColumn, labelColumn, scoreColumn, predictedLabelColumn);
    }

    private static LinearMulticlassModelParameters CreateLinearPredictor(IHostEnvironment env, VBuffer<float>[] weights, float[] bias, int classes, string[] labelNames)
    {
        // internal LinearMulticlassModelParameters(IHostEnvironment env, VBuffer<float>[] weights, float[] bias, int numClasses,
        //     int numFeatures, string[] labelNames, ModelStatisticsBase stats = null)
        var constructor = typeof(LinearMulticlassModelParameters).GetConstructors(BindingFlags.Instance | BindingFlags.NonPublic)
            .FirstOrDefault(c => c.GetParameters().Select(p => p.ParameterType).SequenceEqual(
                [typeof(IHostEnvironment), typeof(VBuffer<float>[]), typeof(float[]), typeof(int), typeof(int), typeof(string[]), typeof(ModelStatisticsBase)]))
            ?? throw new NotSupportedException("This ML.NET version has no LinearMulticlassModelParameters(env, weights, bias, classes, features, names, stats) constructor; the libtorch-free zip cannot add its PredictedLabel column.");
        return (LinearMulticlassModelParameters)constructor.Invoke([env, weights, bias, classes, classes, labelNames, null]);
    }
}
