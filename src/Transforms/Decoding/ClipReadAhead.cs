using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Decodes the rows after a cursor's current one on background workers, through a second cursor over the same source,
/// so the next videos' decoder processes run while the caller computes on the current row (issue 22). At most
/// <c>depth</c> rows are decoded or waiting at a time, in reused buffers; up to one worker per core (at most
/// <c>depth</c>) decodes them, each row by its own process — process start-up, not decoding, is most of a short
/// video's cost, and it does not parallelise inside one process. The first row has the cores to itself: one worker
/// decodes it, and the next rows start only when the caller asks for the second row, so neither the first row's decode
/// nor the caller's work on it (a network's first forward) shares the cores with the next rows' decoders.
/// </summary>
/// <remarks>
/// Rows are matched by row id and position; rows the caller never asks for are dropped. Only decoding failures
/// (<see cref="VideoDecodingException"/>) are carried over to the row they belong to; any other failure, a cursor that
/// reads in another order (shuffled), or a row not found ahead turns read-ahead off for the rest of the cursor and the
/// caller decodes in place, with the same errors as without read-ahead. Disposing stops the worker and any running
/// decoder process before it returns.
/// </remarks>
internal sealed class ClipReadAhead : IDisposable
{
    private sealed record Item(DataViewRowId Id, long Position, string Path, float[]? Clip, VideoDecodingException? Error);

    /// <summary>Time the caller waits for the workers between cancellation polls.</summary>
    private const int PollMilliseconds = 200;

    private readonly ClipLoader _loader;
    private readonly int _depth;
    private readonly int _workerCount;
    private readonly Func<bool> _cancelled;
    private readonly SemaphoreSlim _space;
    private readonly object _gate = new();
    private readonly object _cursorGate = new();
    private readonly Dictionary<long, Item> _done = [];
    private readonly ConcurrentBag<float[]> _free = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly DataViewRowCursor _cursor;
    private readonly ValueGetter<DataViewRowId> _id;
    private readonly ValueGetter<ReadOnlyMemory<char>> _path;
    private readonly Func<double> _start, _end;
    private readonly List<Thread> _workers = [];
    /// <summary>Set when the caller asks for a second row (or skips one): until then the first worker stops after the first
    /// row.</summary>
    private readonly ManualResetEventSlim _firstRowDone = new();
    private long _nextRead, _nextServe;
    private int _activeWorkers;
    private bool _sourceEnded, _failed, _disposed;

    /// <summary>Rows served from the workers so far (tests).</summary>
    public long Served { get; private set; }

    /// <summary>False once read-ahead gave up for this cursor.</summary>
    public bool Active { get; private set; } = true;

    public ClipReadAhead(ClipLoader loader, int depth, DataViewRowCursor cursor, ValueGetter<ReadOnlyMemory<char>> path,
        Func<double> start, Func<double> end, Func<bool> cancelled)
    {
        _loader = loader;
        _depth = depth;
        _workerCount = Math.Clamp(Environment.ProcessorCount, 1, depth);
        _cursor = cursor;
        _id = cursor.GetIdGetter();
        _path = path;
        _start = start;
        _end = end;
        _cancelled = cancelled;
        _space = new SemaphoreSlim(depth, depth);
    }

    /// <summary>Read-ahead workers still running in the process (tests: none after dispose).</summary>
    internal static int RunningWorkers => _runningWorkers;

    private static int _runningWorkers;

    /// <summary>Copies the row (<paramref name="id"/>, <paramref name="position"/>, <paramref name="path"/>) into
    /// <paramref name="clip"/> (by swapping buffers) or reports its decoding error. False: not available ahead (the caller
    /// decodes in place).</summary>
    public bool TryTake(DataViewRowId id, long position, string path, ref float[] clip, out VideoDecodingException? error)
    {
        error = null;
        if (!Active || _disposed)
            return false;
        // One worker decodes the first row; the others join, and the first one goes on, when the caller asks for the
        // second row (it has then finished with the first).
        if (_workers.Count == 0)
            StartWorkers(1);
        else
            ReleaseNextRows();
        // Rows skipped by the caller are dropped; a row that is not among the next few is not coming (another order).
        for (int dropped = 0; dropped <= _depth + 1; dropped++)
        {
            var item = Next();
            if (item is null)
                return GiveUp();
            if (item.Id.Equals(id) && item.Position == position && item.Path == path)
            {
                Served++;
                if (item.Error is not null)
                {
                    error = item.Error;
                    return true;
                }
                _free.Add(clip);
                clip = item.Clip!;
                return true;
            }
            if (item.Clip is not null)
                _free.Add(item.Clip);
            ReleaseNextRows();   // the caller skipped a row: the one it wants comes after
        }
        return GiveUp();
    }

    private void ReleaseNextRows()
    {
        if (_firstRowDone.IsSet)
            return;
        _firstRowDone.Set();
        if (_workers.Count < _workerCount)
            StartWorkers(_workerCount - _workers.Count);
    }

    /// <summary>The next row in the source's order, once a worker has it; null when there is none to come.</summary>
    private Item? Next()
    {
        Item? item;
        lock (_gate)
        {
            while (!_done.Remove(_nextServe, out item))
            {
                if (_failed || _cancelled() || _activeWorkers == 0)
                    return null;
                Monitor.Wait(_gate, PollMilliseconds);
            }
            _nextServe++;
        }
        _space.Release();
        return item;
    }

    private void StartWorkers(int count)
    {
        lock (_gate)
            _activeWorkers += count;
        for (int i = 0; i < count; i++)
        {
            var worker = new Thread(Work) { IsBackground = true, Name = "MLNetVideo clip read-ahead" };
            Interlocked.Increment(ref _runningWorkers);
            _workers.Add(worker);
            worker.Start();
        }
    }

    private bool GiveUp()
    {
        Active = false;
        Stop();
        return false;
    }

    private void Work()
    {
        try
        {
            DataViewRowId id = default;
            ReadOnlyMemory<char> text = default;
            while (!_stop.IsCancellationRequested)
            {
                _space.Wait(_stop.Token);
                if (_nextRead > 0)
                    _firstRowDone.Wait(_stop.Token);
                long sequence, position;
                string path;
                double start, end;
                lock (_cursorGate)
                {
                    if (_sourceEnded || !_cursor.MoveNext())
                    {
                        _sourceEnded = true;
                        _space.Release();
                        return;
                    }
                    _id(ref id);
                    _path(ref text);
                    path = text.ToString();
                    position = _cursor.Position;
                    (start, end) = (_start(), _end());
                    sequence = _nextRead++;
                }
                if (!_free.TryTake(out var buffer))
                    buffer = GC.AllocateUninitializedArray<float>(_loader.Size);
                Item item;
                try
                {
                    _loader.Load(path, position, buffer, _stop.Token, start, end);
                    item = new Item(id, position, path, buffer, null);
                }
                catch (VideoDecodingException e)
                {
                    _free.Add(buffer);
                    item = new Item(id, position, path, null, e);
                }
                lock (_gate)
                {
                    _done[sequence] = item;
                    Monitor.PulseAll(_gate);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // Anything but a decoding failure (the source cursor, a bug): the caller's own cursor meets it in place,
            // with its usual error and row; read-ahead ends here.
            lock (_gate)
                _failed = true;
            try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        }
        finally
        {
            lock (_gate)
            {
                _activeWorkers--;
                Monitor.PulseAll(_gate);
            }
            Interlocked.Decrement(ref _runningWorkers);
        }
    }

    private void Stop()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        // The cancellation kills running decoders (FfmpegProcess) and wakes workers waiting for space; they then return.
        foreach (var worker in _workers)
            worker.Join();
        _workers.Clear();
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Stop();
        _cursor.Dispose();
        _space.Dispose();
        _firstRowDone.Dispose();
        _stop.Dispose();
    }
}
