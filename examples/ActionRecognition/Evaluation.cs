using Microsoft.ML;
using Microsoft.ML.Data;

namespace ActionRecognition;

/// <summary>Scores a test set with a trained model and computes ML.NET's multiclass metrics.</summary>
internal static class Evaluation
{
    public static MulticlassClassificationMetrics Evaluate(MLContext mlContext, ITransformer model, IDataView testSet)
    {
        // The model's last step turns PredictedLabel back into text; the evaluator wants the key columns the
        // trainer produced, so score with every step but that last one.
        var steps = ((IEnumerable<ITransformer>)model).ToArray();
        var scorer = new TransformerChain<ITransformer>(steps[..^1]);
        return mlContext.MulticlassClassification.Evaluate(scorer.Transform(testSet), labelColumnName: "Label", topKPredictionCount: 2);
    }
}
