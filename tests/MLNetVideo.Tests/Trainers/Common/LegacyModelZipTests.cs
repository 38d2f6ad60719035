using System.Text.Json;
using Microsoft.ML;
using MLNetVideo.Tests.Fixtures.LegacyZips;

namespace MLNetVideo.Tests.Trainers.Common;

/// <summary>Model zips saved by earlier MLNetVideo versions (tests/MLNetVideo.Tests/Fixtures/LegacyZips, written by
/// tests/LegacyZipWriter) still load and give the scores recorded when they were saved: one per family and variant, and
/// MoViNet zips of content version 1 (saved before the released checkpoints' activations were adopted).</summary>
[TestClass]
public sealed class LegacyModelZipTests
{
    private static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "LegacyZips");

    public static IEnumerable<object[]> Names()
        => Directory.GetFiles(Folder, "*.zip").Select(p => new object[] { Path.GetFileNameWithoutExtension(p) }).OrderBy(n => (string)n[0]);

    [TestMethod]
    public void EveryFamilyHasALegacyZip()
    {
        var names = Names().Select(n => (string)n[0]).ToHashSet();
        foreach (var expected in (string[])["s3d", "s3dg", "movinet-base", "movinet-stream", "movinet-ensemble", "movinet-v1-base", "movinet-v1-stream", "movinet-v1-ensemble", "tsm", "tsm-clustered", "afnet", "evl"])
            Assert.Contains(expected, names, $"missing fixture {expected}.zip");
    }

    [TestMethod]
    [DynamicData(nameof(Names))]
    public void LegacyZip_LoadsAndScoresAsWhenSaved(string name)
    {
        var record = JsonSerializer.Deserialize<LegacyZipRecord>(File.ReadAllText(Path.Combine(Folder, name + ".json")))!;
        var mlContext = new MLContext(seed: 1);
        var model = mlContext.Model.Load(Path.Combine(Folder, name + ".zip"), out var schema);
        try
        {
            Assert.IsNotNull(schema.GetColumnOrNull(record.ClipColumnName), "the saved input schema names the clip column");
            var scores = LegacyZipInputs.Scores(model.Transform(LegacyZipInputs.ScoringInput(mlContext, record.Dimensions, record.ClipColumnName)));
            Assert.HasCount(record.Scores.Length, scores);
            for (int row = 0; row < scores.Length; row++)
            {
                Assert.HasCount(record.Scores[row].Length, scores[row]);
                for (int c = 0; c < scores[row].Length; c++)
                    Assert.AreEqual(record.Scores[row][c], scores[row][c], 2e-6, $"{name} ({record.SavedBy}): row {row}, class {c}");
            }
        }
        finally
        {
            (model as IDisposable)?.Dispose();
        }
    }
}
