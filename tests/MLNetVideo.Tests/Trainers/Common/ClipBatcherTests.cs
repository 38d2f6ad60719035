using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Trainers.Common;

namespace MLNetVideo.Tests.Trainers.Common;

[TestClass]
public sealed class ClipBatcherTests
{
    private sealed class Row
    {
        [VectorType(4)]
        public float[] Clip { get; set; } = [];

        public string Label { get; set; } = "";
    }

    /// <summary>Row i holds the clip [i, i, i, i] and label "a", "b" or "c" (i % 3), mapped to keys 1..3.</summary>
    private static IDataView Data(int rows)
    {
        var mlContext = new MLContext(1);
        var data = mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i => new Row { Clip = [i, i, i, i], Label = ((char)('a' + (i % 3))).ToString() }));
        return mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(data).Transform(data);
    }

    private static List<(int Id, long Label)> ReadAll(IDataView data, Random? shuffle, int batchSize = 4, int pool = 100)
        => ClipBatcher.Read(data, "Clip", "Label", 4, batchSize, shuffle, pool, prefetch: 2)
            .SelectMany(b => Enumerable.Range(0, b.Count).Select(i => ((int)b.Clips[i * 4], b.Labels[i])))
            .ToList();

    [TestMethod]
    public void InOrder_ReadsEveryRowOnce_InBatches()
    {
        var data = Data(23);
        var batches = ClipBatcher.Read(data, "Clip", "Label", 4, 4, null, 0, 2).ToList();
        var rows = ReadAll(data, null);
        var expected = Enumerable.Range(0, 23).ToList();
        CollectionAssert.AreEqual(expected, rows.Select(r => r.Id).ToList());
        CollectionAssert.AreEqual(expected.Select(i => (long)(i % 3)).ToList(), rows.Select(r => r.Label).ToList());
        CollectionAssert.AreEqual(new[] { 4, 4, 4, 4, 4, 3 }, batches.Select(b => b.Count).ToArray());
        Assert.AreEqual(23, ClipBatcher.CountLabeledRows(data, "Label"));
    }

    [TestMethod]
    public void Shuffled_IsAPermutation_RepeatableForTheSameSeed()
    {
        var data = Data(40);
        var a = ReadAll(data, new Random(5));
        var b = ReadAll(data, new Random(5));
        var c = ReadAll(data, new Random(6));
        var expected = Enumerable.Range(0, 40).ToList();
        CollectionAssert.AreEquivalent(expected, a.Select(r => r.Id).ToList());
        CollectionAssert.AreEqual(a, b);
        CollectionAssert.AreNotEqual(a, c);
        CollectionAssert.AreNotEqual(expected, a.Select(r => r.Id).ToList());
        Assert.IsTrue(a.All(r => r.Label == r.Id % 3), "labels travel with their clips");
    }

    [TestMethod]
    public void SmallPool_StillEmitsEveryRowOnce()
    {
        var data = Data(50);
        var rows = ReadAll(data, new Random(1), batchSize: 3, pool: 4);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 50).ToList(), rows.Select(r => r.Id).ToList());
    }

    [TestMethod]
    public void StoppingEarly_EndsTheProducer()
    {
        var data = Data(200);
        var first = ClipBatcher.Read(data, "Clip", "Label", 4, 2, null, 0, 1).Take(2).ToList();
        Assert.AreEqual(2, first.Count);
        Assert.AreEqual(0f, first[0].Clips[0]);
    }
}
