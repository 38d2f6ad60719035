using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers.S3D;
using MLNetVideo.Transforms.Decoding;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>
/// Issue 18, item 6: a video classifier's Score and PredictedLabel carry ML.NET's score annotations (one ScoreColumnSetId,
/// ScoreColumnKind MulticlassClassification, ScoreValueKind Score / PredictedLabel), so ML.NET finds the score column by its
/// role, as it does for its own trainers, without being told its name.
/// </summary>
[TestClass]
public sealed class ScoreAnnotationTests
{
    private static IDataView Scored(MLContext mlContext)
    {
        var data = SyntheticClips.LoadKeyed(mlContext, SyntheticClips.Motion(8, seed: 1, frames: 8, size: 32), frames: 8, size: 32);
        var model = mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, ClipLayout = ClipLayout.Cthw, Epochs = 1, BatchSize = 4, Device = "cpu", Seed = 3,
        }).Fit(data);
        return model.Transform(data);
    }

    private static string Text(DataViewSchema.Column column, string kind)
    {
        var value = default(ReadOnlyMemory<char>);
        column.Annotations.GetValue(kind, ref value);
        return value.ToString();
    }

    private static uint SetId(DataViewSchema.Column column)
    {
        Assert.IsInstanceOfType<KeyDataViewType>(column.Annotations.Schema["ScoreColumnSetId"].Type);
        uint id = 0;
        column.Annotations.GetValue("ScoreColumnSetId", ref id);
        return id;
    }

    [TestMethod]
    public void ScoreAndPredictedLabel_CarryTheScoreAnnotations_AndMLNetFindsTheScoreColumnByRole()
    {
        var mlContext = new MLContext(seed: 1);
        var scored = Scored(mlContext);
        var score = scored.Schema["Score"];
        var predicted = scored.Schema["PredictedLabel"];
        Assert.AreEqual("MulticlassClassification", Text(score, "ScoreColumnKind"));
        Assert.AreEqual("Score", Text(score, "ScoreValueKind"));
        Assert.AreEqual("MulticlassClassification", Text(predicted, "ScoreColumnKind"));
        Assert.AreEqual("PredictedLabel", Text(predicted, "ScoreValueKind"));
        Assert.AreEqual(1u, SetId(score));
        Assert.AreEqual(SetId(score), SetId(predicted));

        // ML.NET's own lookup (what its evaluators use when no score column is named) finds Score through the annotations.
        var getScoreColumn = typeof(MLContext).Assembly.GetTypes().Concat(typeof(DataViewSchema).Assembly.GetTypes())
            .Concat(AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "Microsoft.ML.Data").SelectMany(a => a.GetTypes()))
            .Where(t => t.Name == "EvaluateUtils").SelectMany(t => t.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic))
            .First(m => m.Name == "GetScoreColumn");
        var arguments = getScoreColumn.GetParameters().Select(p => p.Name switch
        {
            "ectx" or "env" => (object?)MLNetVideo.Interop.MLNetHost.From(mlContext.Transforms),
            "schema" => scored.Schema,
            "name" => null,
            "argName" => "ScoreColumn",
            "kind" => "MulticlassClassification",
            "valueKind" => "Score",
            _ => p.HasDefaultValue ? p.DefaultValue : throw new InvalidOperationException($"unexpected parameter {p.Name}"),
        }).ToArray();
        var found = (DataViewSchema.Column)getScoreColumn.Invoke(null, arguments)!;
        Assert.AreEqual("Score", found.Name);

        // And the catalog's Evaluate needs only the label.
        var metrics = mlContext.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MicroAccuracy is >= 0 and <= 1);
        Assert.AreEqual(4, metrics.ConfusionMatrix.NumberOfClasses);

        // Other transforms pass the annotations through unchanged.
        var again = mlContext.Transforms.CopyColumns("Frames2", "Frames").Fit(scored).Transform(scored);
        Assert.AreEqual(1u, SetId(again.Schema["Score"]));
    }
}
