using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers;
using MLNetVideo.Trainers.S3D;

namespace MLNetVideo.Tests.Trainers.S3D;

/// <summary>Regression: 9 rows with batch size 8 leave a last batch of one clip. At 32×32×8 the deepest feature map is
/// 1×1×1, so that batch gave BatchNorm a 0/0 variance and turned every later prediction into NaN.</summary>
[TestClass]
public sealed class S3DSingleClipBatchTests
{
    [TestMethod]
    public void LastBatchOfOneClip_DoesNotPoisonBatchNorm()
    {
        var mlContext = new MLContext(seed: 1);
        var rows = SyntheticClips.Motion(9, seed: 4);
        var data = SyntheticClips.LoadKeyed(mlContext, rows);
        var model = mlContext.MulticlassClassification.Trainers.S3D(new S3DTrainer.Options
        {
            Variant = S3DVariant.S3DG, WidthMultiplier = 0.125, Epochs = 2, BatchSize = 8, Seed = 2,
        }).Fit(data);

        var scores = mlContext.Data.CreateEnumerable<Scored>(model.Transform(data), reuseRowObject: false).ToList();
        Assert.AreEqual(9, scores.Count);
        foreach (var score in scores)
        {
            Assert.IsTrue(score.Score.All(float.IsFinite), string.Join(", ", score.Score));
            Assert.AreEqual(1.0, score.Score.Sum(), 1e-4);
        }
    }

    private sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }
}
