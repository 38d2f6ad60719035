using System.Runtime.ExceptionServices;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Trainers.Common;

/// <summary>
/// Scores the rows of a scoring cursor several at a time (issue 22): a second cursor over the same source reads the
/// current row and the next ones, and the network scores them in one forward pass; the caller's cursor then takes its
/// rows' results as it reaches them. The first batch is the first row alone, so the first row waits for no other row's
/// decoding; the later ones hold up to <c>rows</c> rows.
/// </summary>
/// <remarks>
/// Rows are matched by row id. A row whose clip cannot be read (a decoding error) keeps its exception, rethrown when the
/// caller reaches that row, and ends its batch: the rows before it are scored together, the rows after it start the next
/// batch. A batch whose forward fails is scored again one row at a time, so a failure stays with its own row. When the
/// caller's row is not found among the next rows (another order, such as a shuffled cursor) batching stops for the rest
/// of the cursor and the caller scores in place, with the same results. Disposing closes the second cursor (and so any
/// read-ahead decoding under it).
/// </remarks>
internal sealed class ScoringBatches : IDisposable
{
    private sealed record Result(float[] Probabilities, float[] Extras, ExceptionDispatchInfo? Error);

    private readonly IDataView _source;
    private readonly int _clipColumn;
    private readonly int _rows;
    private readonly Func<IReadOnlyList<float[]>, (float[][] Probabilities, float[][] Extras)> _score;
    private readonly Dictionary<DataViewRowId, Result> _ready = [];
    private DataViewRowCursor? _cursor;
    private ValueGetter<DataViewRowId>? _id;
    private ValueGetter<VBuffer<float>>? _clip;
    private VBuffer<float> _buffer;
    private readonly List<float[]> _spareRows = [];
    private bool _stopped;

    /// <param name="source">The data view the caller's cursor reads.</param>
    /// <param name="clipColumn">Index of the clip column in <paramref name="source"/>.</param>
    /// <param name="rows">Most rows per forward (≥ 2).</param>
    /// <param name="score">Scores rows of the same length in one forward.</param>
    public ScoringBatches(IDataView source, int clipColumn, int rows, Func<IReadOnlyList<float[]>, (float[][] Probabilities, float[][] Extras)> score)
    {
        _source = source;
        _clipColumn = clipColumn;
        _rows = rows;
        _score = score;
    }

    /// <summary>Forward passes run so far (tests).</summary>
    public int Forwards { get; private set; }

    /// <summary>Rows scored in batches of more than one row so far (tests).</summary>
    public int RowsInBatches { get; private set; }

    /// <summary>The scores of row <paramref name="id"/>, or false when batching has stopped (the caller scores in place).
    /// Rethrows the row's own error.</summary>
    public bool TryGet(DataViewRowId id, out float[] probabilities, out float[] extras)
    {
        probabilities = extras = [];
        if (_stopped)
            return false;
        if (!_ready.Remove(id, out var result))
        {
            _ready.Clear();   // rows the caller skipped
            if (!Fill(id) || !_ready.Remove(id, out result))
            {
                Stop();
                return false;
            }
        }
        result.Error?.Throw();
        (probabilities, extras) = (result.Probabilities, result.Extras);
        return true;
    }

    /// <summary>Moves the second cursor to row <paramref name="id"/> and scores it with the next rows.</summary>
    private bool Fill(DataViewRowId id)
    {
        bool first = _cursor is null;
        if (_cursor is null)
        {
            var column = _source.Schema[_clipColumn];
            _cursor = _source.GetRowCursor([column]);
            _id = _cursor.GetIdGetter();
            _clip = _cursor.GetGetter<VBuffer<float>>(_cursor.Schema[_clipColumn]);
        }
        DataViewRowId seen = default;
        bool found = false;
        for (int skipped = 0; skipped <= 2 * _rows && _cursor.MoveNext(); skipped++)
        {
            _id!(ref seen);
            if (seen.Equals(id))
            {
                found = true;
                break;
            }
        }
        if (!found)
            return false;
        int limit = first ? 1 : _rows;
        var ids = new List<DataViewRowId>(limit);
        var clips = new List<float[]>(limit);
        do
        {
            _id!(ref seen);
            try
            {
                _clip!(ref _buffer);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The row's own failure (a video that does not decode): kept for it; its batch ends before it.
                _ready[seen] = new Result([], [], ExceptionDispatchInfo.Capture(e));
                break;
            }
            var values = TakeRowArray(_buffer.Length);
            _buffer.CopyTo(values);
            ids.Add(seen);
            clips.Add(values);
        }
        while (clips.Count < limit && _cursor.MoveNext());
        if (clips.Count > 0)
            Score(ids, clips);
        _spareRows.AddRange(clips);   // the results are new arrays; the rows' arrays serve the next batch
        return true;
    }

    /// <summary>A row array of <paramref name="length"/> floats from the last batch, or a new one: a fresh multi-megabyte
    /// array per row is paid for in page faults on its first write.</summary>
    private float[] TakeRowArray(int length)
    {
        int last = _spareRows.Count - 1;
        if (last >= 0 && _spareRows[last].Length == length)
        {
            var array = _spareRows[last];
            _spareRows.RemoveAt(last);
            return array;
        }
        _spareRows.Clear();   // another length: none of them fits
        return new float[length];
    }

    private void Score(List<DataViewRowId> ids, List<float[]> clips)
    {
        try
        {
            var (probabilities, extras) = _score(clips);
            Forwards++;
            if (clips.Count > 1)
                RowsInBatches += clips.Count;
            for (int i = 0; i < ids.Count; i++)
                _ready[ids[i]] = new Result(probabilities[i], extras[i], null);
        }
        catch (Exception e) when (e is not OperationCanceledException && clips.Count > 1)
        {
            // Score each row alone: a failure then belongs to the row that causes it, and its batch-mates are scored.
            for (int i = 0; i < ids.Count; i++)
            {
                try
                {
                    var (probabilities, extras) = _score([clips[i]]);
                    Forwards++;
                    _ready[ids[i]] = new Result(probabilities[0], extras[0], null);
                }
                catch (Exception one) when (one is not OperationCanceledException)
                {
                    _ready[ids[i]] = new Result([], [], ExceptionDispatchInfo.Capture(one));
                }
            }
        }
    }

    private void Stop()
    {
        _stopped = true;
        _ready.Clear();
        Dispose();
    }

    public void Dispose()
    {
        _cursor?.Dispose();
        _cursor = null;
    }
}
