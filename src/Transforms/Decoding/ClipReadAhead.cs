using System.Collections.Concurrent;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetVideo.Transforms.Decoding;

/// <summary>
/// Decodes the rows after a cursor's current one on a background worker, through a second cursor over the same source,
/// so the next videos' ffprobe / ffmpeg processes run while the caller computes on the current row (issue 22). At most
/// <c>depth</c> decoded rows wait at a time (plus the one being decoded), in reused buffers.
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

    /// <summary>Time the cursors wait for the worker between cancellation polls.</summary>
    private const int PollMilliseconds = 200;

    private readonly ClipLoader _loader;
    private readonly int _depth;
    private readonly Func<bool> _cancelled;
    private readonly BlockingCollection<Item> _ready;
    private readonly ConcurrentBag<float[]> _free = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly DataViewRowCursor _cursor;
    private readonly ValueGetter<ReadOnlyMemory<char>> _path;
    private readonly Func<double> _start, _end;
    private Thread? _worker;
    private bool _disposed;

    /// <summary>Rows served from the worker so far (tests).</summary>
    public long Served { get; private set; }

    /// <summary>False once read-ahead gave up for this cursor.</summary>
    public bool Active { get; private set; } = true;

    public ClipReadAhead(ClipLoader loader, int depth, DataViewRowCursor cursor, ValueGetter<ReadOnlyMemory<char>> path,
        Func<double> start, Func<double> end, Func<bool> cancelled)
    {
        _loader = loader;
        _depth = depth;
        _cursor = cursor;
        _path = path;
        _start = start;
        _end = end;
        _cancelled = cancelled;
        _ready = new BlockingCollection<Item>(depth);
    }

    /// <summary>Decoder processes of every read-ahead worker still running (tests: none after dispose).</summary>
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
        if (_worker is null)
        {
            _worker = new Thread(Work) { IsBackground = true, Name = "MLNetVideo clip read-ahead" };
            Interlocked.Increment(ref _runningWorkers);
            _worker.Start();
        }
        // Rows skipped by the caller are dropped; a row that is not among the next few is not coming (another order).
        for (int dropped = 0; dropped <= _depth + 1; dropped++)
        {
            Item? item = null;
            while (item is null)
            {
                if (_cancelled())
                    return GiveUp();
                if (!_ready.TryTake(out item, PollMilliseconds))
                {
                    if (_ready.IsCompleted)
                        return GiveUp();
                }
            }
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
        }
        return GiveUp();
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
            var idGetter = _cursor.GetIdGetter();
            while (!_stop.IsCancellationRequested && _cursor.MoveNext())
            {
                idGetter(ref id);
                _path(ref text);
                string path = text.ToString();
                long position = _cursor.Position;
                double start = _start(), end = _end();
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
                _ready.Add(item, _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception)
        {
            // Anything but a decoding failure (the source cursor, a bug): the caller's own cursor meets it in place,
            // with its usual error and row; read-ahead simply ends here.
        }
        finally
        {
            _ready.CompleteAdding();
            Interlocked.Decrement(ref _runningWorkers);
        }
    }

    private void Stop()
    {
        try { _stop.Cancel(); } catch (ObjectDisposedException) { }
        if (_worker is { } worker)
        {
            // The cancellation kills a running decoder (FfmpegProcess) and unblocks a full queue; the worker then returns.
            worker.Join();
            _worker = null;
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        Stop();
        _cursor.Dispose();
        _ready.Dispose();
        _stop.Dispose();
    }
}
