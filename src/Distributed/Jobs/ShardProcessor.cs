using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Distributed.Hosting;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>Runs the videos of one shard through the silo's model, one video at a time, so that a video that fails
/// (cannot be decoded, too large, ...) becomes a record with its reason and the others go on.</summary>
internal static class ShardProcessor
{
    public static List<VideoJobRecord> Run(ShardLease lease, SiloModels models, CancellationToken cancellation)
    {
        var job = lease.Job;
        using var use = models.Use();
        var model = job.Kind == VideoJobKind.Score
            ? models.Get(job.ModelPath!)
            : models.GetFeaturizer(job.LoaderOptionsJson!, job.ClipOptionsJson!);
        string pathColumn = job.Kind == VideoJobKind.Score ? job.VideoPathColumnName : model.InputSchema[0].Name;
        var records = new List<VideoJobRecord>(job.Videos.Count);
        for (int i = 0; i < job.Videos.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            int index = lease.FirstIndex + i;
            string video = job.Videos[i];
            try
            {
                var input = model.MLContext.Data.LoadFromEnumerable([new PathRow { VideoPath = video }], PathRow.Schema(pathColumn));
                var output = model.Model.Transform(input);
                records.Add(job.Kind == VideoJobKind.Score ? Score(job, model, output, index, video) : Features(output, model.FeatureColumn!, index, video));
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                records.Add(new VideoJobRecord { Index = index, Video = video, Ok = false, Error = SiloModels.VideoFailure(e) });
            }
        }
        return records;
    }

    private static VideoJobRecord Score(VideoJob job, LoadedModel model, IDataView output, int index, string video)
    {
        var score = output.Schema["Score"];
        var predicted = output.Schema.GetColumnOrNull("PredictedLabel");
        using var cursor = output.GetRowCursor(predicted is { } p ? [score, p] : [score]);
        if (!cursor.MoveNext())
            return NoRow(index, video);
        var values = default(VBuffer<float>);
        cursor.GetGetter<VBuffer<float>>(score)(ref values);
        var scores = values.DenseValues().ToArray();
        string label = predicted is { } column ? PredictedLabel(cursor, column, model.ClassNames) : model.ClassNames[ArgMax(scores)];
        var top = scores.Select((s, i) => (s, i)).OrderByDescending(x => x.s).ThenBy(x => x.i).Take(job.TopK)
            .Select(x => new ClassScore(x.i < model.ClassNames.Length ? model.ClassNames[x.i] : $"class {x.i}", x.s)).ToArray();
        return new VideoJobRecord { Index = index, Video = video, Ok = true, Label = label, Top = top, Scores = job.IncludeScores ? scores : null };
    }

    private static VideoJobRecord Features(IDataView output, string featureColumn, int index, string video)
    {
        var column = output.Schema[featureColumn];
        using var cursor = output.GetRowCursor([column]);
        if (!cursor.MoveNext())
            return NoRow(index, video);
        // Reading the column computes the features and writes them into the cache (or finds them there).
        var values = default(VBuffer<float>);
        cursor.GetGetter<VBuffer<float>>(column)(ref values);
        var dims = ((VectorDataViewType)column.Type).Dimensions.ToArray();
        return new VideoJobRecord { Index = index, Video = video, Ok = true, FeatureShape = dims };
    }

    private static VideoJobRecord NoRow(int index, string video)
        => new() { Index = index, Video = video, Ok = false, Error = "The model produced no row for this video (its LoadVideoFrames step drops videos it cannot decode: OnDecodeError = Skip)." };

    private static string PredictedLabel(DataViewRowCursor cursor, DataViewSchema.Column column, string[] classNames)
    {
        if (column.Type is TextDataViewType)
        {
            var text = default(ReadOnlyMemory<char>);
            cursor.GetGetter<ReadOnlyMemory<char>>(column)(ref text);
            return text.ToString();
        }
        if (column.Type is KeyDataViewType)
        {
            uint key = 0;
            cursor.GetGetter<uint>(column)(ref key);
            return key >= 1 && key <= classNames.Length ? classNames[key - 1] : $"key {key}";
        }
        throw new InvalidDataException($"The model's PredictedLabel column is {column.Type}; expected text or a key.");
    }

    private static int ArgMax(float[] values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }
}
