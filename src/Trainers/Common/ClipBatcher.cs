using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// Turns IDataView cursors into managed batches on a background thread, with a bounded prefetch queue so that decoding
/// (a lazy <c>LoadVideoFrames</c> upstream) overlaps the network's compute. Shuffling uses a seeded pool of rows
/// (bounded memory; a pool at least as large as the data gives a uniform permutation), and inputs that can shuffle
/// themselves also get a seeded ML.NET shuffle. Rows with a missing label (key 0) are skipped.
/// </summary>
internal static class ClipBatcher
{
    /// <summary>Reads <paramref name="data"/> once, in batches.</summary>
    /// <param name="data">The data view.</param>
    /// <param name="clipColumn">Known-size float vector column of <paramref name="rowSize"/> floats.</param>
    /// <param name="labelColumn">Key label column, or null to read clips only.</param>
    /// <param name="rowSize">Floats per row.</param>
    /// <param name="batchSize">Rows per batch (the last batch may be smaller).</param>
    /// <param name="shuffle">Seeded generator for this epoch's order, or null to keep the cursor order.</param>
    /// <param name="poolSize">Rows held for shuffling.</param>
    /// <param name="prefetch">Batches prepared ahead.</param>
    /// <param name="cancellation">Stops the producer.</param>
    /// <param name="stopRequested">Polled by the producer before it reads each row (for example "the MLContext's execution was
    /// cancelled"); once true, the producer reads nothing more and the enumeration throws <see cref="OperationCanceledException"/>
    /// instead of handing out what was read ahead.</param>
    /// <returns>The batches, produced lazily; enumerate once.</returns>
    public static IEnumerable<ClipBatch> Read(IDataView data, string clipColumn, string? labelColumn, int rowSize, int batchSize,
        Random? shuffle, int poolSize, int prefetch, CancellationToken cancellation = default, Func<bool>? stopRequested = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var queue = new BlockingCollection<ClipBatch>(Math.Max(1, prefetch));
        var producer = Task.Factory.StartNew(
            () => Produce(data, clipColumn, labelColumn, rowSize, batchSize, shuffle, poolSize, queue, stop.Token, stopRequested),
            stop.Token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var batch in queue.GetConsumingEnumerable(stop.Token))
            {
                // A batch read ahead before the stop was requested is not handed out: the stop is surfaced instead.
                if (stopRequested?.Invoke() == true)
                    throw new OperationCanceledException("Reading clips was stopped.");
                yield return batch;
            }
            producer.GetAwaiter().GetResult();   // rethrows a producer failure
        }
        finally
        {
            stop.Cancel();
            try { producer.Wait(); }
            catch (AggregateException e) when (e.InnerExceptions.All(x => x is OperationCanceledException)) { }
            catch (AggregateException) { /* already rethrown above, or the consumer is leaving with its own exception */ }
        }
    }

    /// <summary>Counts the rows that have a label (no clip is decoded).</summary>
    /// <param name="data">The data.</param>
    /// <param name="labelColumn">Key label column.</param>
    /// <returns>Rows with a non-missing label.</returns>
    public static long CountLabeledRows(IDataView data, string labelColumn)
    {
        var column = data.Schema[labelColumn];
        using var cursor = data.GetRowCursor([column]);
        var getter = cursor.GetGetter<uint>(column);
        uint key = 0;
        long count = 0;
        while (cursor.MoveNext())
        {
            getter(ref key);
            if (key != 0) count++;
        }
        return count;
    }

    private static void Produce(IDataView data, string clipColumn, string? labelColumn, int rowSize, int batchSize,
        Random? shuffle, int poolSize, BlockingCollection<ClipBatch> queue, CancellationToken token, Func<bool>? stopRequested)
    {
        try
        {
            var clip = data.Schema[clipColumn];
            DataViewSchema.Column? label = labelColumn is null ? null : data.Schema[labelColumn];
            var columns = label is { } l ? new[] { clip, l } : [clip];
            Random? cursorRandom = shuffle is not null && data.CanShuffle ? new Random(shuffle.Next()) : null;
            using var cursor = data.GetRowCursor(columns, cursorRandom);
            var clipGetter = cursor.GetGetter<VBuffer<float>>(clip);
            var labelGetter = label is { } lc ? cursor.GetGetter<uint>(lc) : null;
            var buffer = default(VBuffer<float>);
            uint key = 0;

            var pool = new List<(float[] Clip, long Label)>();
            bool pooled = shuffle is not null && poolSize > 0;
            float[] batchClips = new float[(long)batchSize * rowSize];
            long[] batchLabels = new long[batchSize];
            int count = 0;

            void Emit((float[] Clip, long Label) row)
            {
                row.Clip.CopyTo(batchClips, (long)count * rowSize);
                batchLabels[count++] = row.Label;
                if (count == batchSize)
                {
                    queue.Add(new ClipBatch(batchClips, batchLabels, count), token);
                    batchClips = new float[(long)batchSize * rowSize];
                    batchLabels = new long[batchSize];
                    count = 0;
                }
            }

            void ThrowIfStopped()
            {
                token.ThrowIfCancellationRequested();
                if (stopRequested?.Invoke() == true)
                    throw new OperationCanceledException("Reading clips was stopped.");
            }

            while (true)
            {
                ThrowIfStopped();   // before the cursor reads (and an upstream LoadVideoFrames decodes) the next row
                if (!cursor.MoveNext())
                    break;
                long classIndex = -1;
                if (labelGetter is not null)
                {
                    labelGetter(ref key);
                    if (key == 0) continue;      // missing label
                    classIndex = key - 1;
                }
                clipGetter(ref buffer);
                if (buffer.Length != rowSize)
                    throw new InvalidOperationException($"Row {cursor.Position} of column '{clipColumn}' has {buffer.Length} values; expected {rowSize}.");
                var values = new float[rowSize];
                buffer.CopyTo(values);
                if (!pooled)
                    Emit((values, classIndex));
                else if (pool.Count < poolSize)
                    pool.Add((values, classIndex));
                else
                {
                    int j = shuffle!.Next(pool.Count);
                    Emit(pool[j]);
                    pool[j] = (values, classIndex);
                }
            }
            // Drain the pool in a random order (Fisher–Yates).
            for (int i = pool.Count - 1; i >= 0; i--)
            {
                int j = shuffle!.Next(i + 1);
                Emit(pool[j]);
                pool[j] = pool[i];
            }
            if (count > 0)
                queue.Add(new ClipBatch(batchClips[..((long)count * rowSize).ToIntChecked()], batchLabels[..count], count), token);
        }
        finally
        {
            queue.CompleteAdding();
        }
    }

    private static int ToIntChecked(this long value) => checked((int)value);
}
