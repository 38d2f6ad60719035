using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Tests.Fixtures.LegacyZips;

/// <summary>The inputs shared by the legacy-zip writer (tests/LegacyZipWriter) and the test that loads the zips: a
/// deterministic formula, so neither depends on a random generator's implementation.</summary>
public static class LegacyZipInputs
{
    /// <summary>Rows scored at save time and again by the test.</summary>
    public const int ScoredRows = 2;

    /// <summary>Row <paramref name="index"/> of <paramref name="size"/> floats in [-1, 1].</summary>
    public static float[] Row(int size, int index)
    {
        var values = new float[size];
        for (int i = 0; i < size; i++)
            values[i] = (float)Math.Sin((i * 0.37) + (index * 1.9) + ((i % 7) * 0.11 * index));
        return values;
    }

    /// <summary>A data view of <paramref name="rows"/> with Frames = Vector&lt;Single, dimensions&gt; and Label = Text.</summary>
    public static IDataView Load(MLContext mlContext, IEnumerable<LegacyZipRow> rows, int[] dimensions, string clipColumnName = "Frames")
    {
        var definition = SchemaDefinition.Create(typeof(LegacyZipRow));
        definition[nameof(LegacyZipRow.Frames)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, dimensions);
        definition[nameof(LegacyZipRow.Frames)].ColumnName = clipColumnName;
        return mlContext.Data.LoadFromEnumerable(rows, definition);
    }

    /// <summary>The scored rows as a data view (label empty).</summary>
    public static IDataView ScoringInput(MLContext mlContext, int[] dimensions, string clipColumnName = "Frames")
    {
        int size = dimensions.Aggregate(1, (a, b) => a * b);
        return Load(mlContext, Enumerable.Range(0, ScoredRows).Select(i => new LegacyZipRow { Frames = Row(size, i) }).ToList(), dimensions, clipColumnName);
    }

    /// <summary>The Score column of <paramref name="scored"/>, row by row.</summary>
    public static float[][] Scores(IDataView scored)
        => scored.GetColumn<VBuffer<float>>("Score").Select(v => v.DenseValues().ToArray()).ToArray();
}
