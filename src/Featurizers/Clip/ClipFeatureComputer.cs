using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Data;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>A frozen per-frame image encoder behind the CLIP feature contract (TorchSharp tower or ONNX graph).</summary>
internal interface IClipFrameEncoder
{
    /// <summary>Tokens per frame (grid² + 1).</summary>
    int Tokens { get; }

    /// <summary>Token width W.</summary>
    int Width { get; }

    /// <summary>Resizes, crops and normalises frames [n, 3, H, W] (values in [0, 1], CPU) into the encoder's input.</summary>
    Tensor Prepare(Tensor frames);

    /// <summary>One forward pass over prepared frames [n, 3, S, S]: returns [k·M, n, tokens, W] on the CPU.</summary>
    Tensor Encode(Tensor prepared);
}

/// <summary>What the shared CLIP feature computation needs from a featurizer's options.</summary>
internal sealed record ClipFeatureSettings(
    string InputColumnName,
    string OutputColumnName,
    ClipFrameLayout InputLayout,
    int LayersKept,
    bool IncludeAttention,
    int FramesPerBatch,
    int RowsPerBatch,
    string? CacheFolder,
    string Identity,
    string? VideoPathColumnName = null,
    string? SamplingKey = null,
    string? VideoFolder = null,
    bool AllowPathsOutsideVideoFolder = false);

/// <summary>
/// The part both CLIP featurizers share: clip → frames → batched forwards → [k·M, T, tokens, W], with the on-disk cache and
/// batching of several rows per forward. Thread-safe (one forward at a time).
/// </summary>
internal sealed class ClipFeatureComputer
{
    private readonly IClipFrameEncoder _encoder;
    private readonly object _lock = new();
    private readonly Dictionary<(string Path, long Length, DateTime Modified), string> _fileHashes = [];
    private long _forwards, _framesEncoded, _cacheHits, _cacheCorruptions;

    public ClipFeatureComputer(IClipFrameEncoder encoder, ClipFeatureSettings settings)
    {
        _encoder = encoder;
        Settings = settings;
    }

    public ClipFeatureSettings Settings { get; }

    /// <summary>The estimators' schema step, shared by both featurizers: the clip column must be a known-size float vector;
    /// the feature column is appended (its exact shape is known only once the tower or graph is loaded).</summary>
    /// <param name="inputSchema">The input shape.</param>
    /// <param name="inputColumnName">The clip column.</param>
    /// <param name="outputColumnName">The feature column.</param>
    /// <returns>The output shape.</returns>
    public static SchemaShape AppendFeatureColumn(SchemaShape inputSchema, string inputColumnName, string outputColumnName)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var found = inputSchema.Where(c => c.Name == inputColumnName).Select(c => (SchemaShape.Column?)c).LastOrDefault();
        if (found is not { } column)
            throw SchemaErrors.ColumnNotFound("input", inputColumnName);
        if (column.Kind != SchemaShape.Column.VectorKind.Vector || column.IsKey || !column.ItemType.Equals(NumberDataViewType.Single))
            throw SchemaErrors.Mismatch("input", inputColumnName, "known-size Vector<Single, T, 3, H, W>", SchemaShapes.Describe(column));
        return SchemaShapes.Append(inputSchema, SchemaShapes.Column(outputColumnName, new VectorDataViewType(NumberDataViewType.Single, 1)));
    }

    /// <summary>Forward passes of the encoder so far.</summary>
    public long EncoderForwards => Interlocked.Read(ref _forwards);

    /// <summary>Frames that went through the encoder so far.</summary>
    public long FramesEncoded => Interlocked.Read(ref _framesEncoded);

    /// <summary>Clips served from the cache so far.</summary>
    public long CacheHits => Interlocked.Read(ref _cacheHits);

    /// <summary>Cache files that failed validation (then recomputed and rewritten).</summary>
    public long CacheCorruptions => Interlocked.Read(ref _cacheCorruptions);

    /// <summary>Whether the cache is keyed by video file (the clip need not be read on a hit).</summary>
    public bool KeysByFile => Settings.CacheFolder is not null && Settings.VideoPathColumnName is not null && Settings.SamplingKey is not null;

    /// <summary>With a file-keyed cache: the cached features of the clip decoded from <paramref name="videoPath"/>, or null
    /// (no file, no entry, or a damaged entry).</summary>
    public float[]? TryReadByFile(string? videoPath, int[] clipDims)
    {
        if (FileKeyOf(videoPath, clipDims) is not { } key) return null;
        var hit = ClipFeatureCache.TryRead(Settings.CacheFolder!, key, OutputDims(Frames(clipDims)), out bool corrupt);
        if (corrupt) Interlocked.Increment(ref _cacheCorruptions);
        if (hit is not null) Interlocked.Increment(ref _cacheHits);
        return hit;
    }

    private int Frames(int[] clipDims) => Settings.InputLayout == ClipFrameLayout.Cthw ? clipDims[1] : clipDims[0];

    private byte[]? FileKeyOf(string? videoPath, int[] clipDims)
    {
        if (!KeysByFile || string.IsNullOrEmpty(videoPath)) return null;
        string path = Path.GetFullPath(Path.Combine(Settings.VideoFolder ?? "", videoPath));
        var info = new FileInfo(path);
        // Only regular files (a device or FIFO reports 0 bytes) are hashed, and only inside VideoFolder unless allowed: otherwise
        // there is no key, and LoadVideoFrames decides (and refuses) as it would without a cache.
        if (!info.Exists || info.Length == 0) return null;
        if (Settings.VideoFolder is { } folder && !Settings.AllowPathsOutsideVideoFolder
            && !Files.FileChecks.IsInside(Files.FileChecks.RealPath(path), Files.FileChecks.RealPath(Path.GetFullPath(folder))))
            return null;
        var id = (path, info.Length, info.LastWriteTimeUtc);
        string? sha;
        lock (_fileHashes)
            _fileHashes.TryGetValue(id, out sha);
        if (sha is null)
        {
            using (var stream = File.OpenRead(path))
                sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
            lock (_fileHashes)
                _fileHashes[id] = sha;
        }
        return ClipFeatureCache.FileKey(Settings.Identity, Settings.SamplingKey!, clipDims, sha);
    }

    public int[] OutputDims(int frames) => [(Settings.IncludeAttention ? 3 : 1) * Settings.LayersKept, frames, _encoder.Tokens, _encoder.Width];

    /// <summary>Features of several clips of one shape (each a dense [T, 3, H, W] or [3, T, H, W] float array).</summary>
    /// <param name="clips">The clips.</param>
    /// <param name="clipDims">Their dimensions.</param>
    /// <param name="videoPaths">Per clip, the video file it was decoded from (file-keyed cache), or null.</param>
    public float[][] Featurize(IReadOnlyList<float[]> clips, int[] clipDims, IReadOnlyList<string?>? videoPaths = null)
    {
        bool channelsFirst = Settings.InputLayout == ClipFrameLayout.Cthw;
        int frames = channelsFirst ? clipDims[1] : clipDims[0];
        int[] outDims = OutputDims(frames);
        var results = new float[clips.Count][];
        var keys = new byte[clips.Count][];
        string? folder = Settings.CacheFolder;
        var misses = new List<int>();
        for (int i = 0; i < clips.Count; i++)
        {
            if (folder is not null)
            {
                if (FileKeyOf(videoPaths?[i], clipDims) is { } fileKey)
                {
                    keys[i] = fileKey;      // the caller looked it up already (TryReadByFile)
                    misses.Add(i);
                    continue;
                }
                keys[i] = ClipFeatureCache.Key(Settings.Identity, clipDims, clips[i]);
                var hit = ClipFeatureCache.TryRead(folder, keys[i], outDims, out bool corrupt);
                if (corrupt) Interlocked.Increment(ref _cacheCorruptions);
                if (hit is not null)
                {
                    results[i] = hit;
                    Interlocked.Increment(ref _cacheHits);
                    continue;
                }
            }
            misses.Add(i);
        }
        if (misses.Count == 0) return results;

        lock (_lock)
        {
            using var grad = no_grad();
            using var scope = NewDisposeScope();
            var prepared = new List<Tensor>();
            foreach (int i in misses)
            {
                var clip = tensor(clips[i], clipDims.Select(d => (long)d).ToArray());
                if (channelsFirst) clip = clip.permute(1, 0, 2, 3);
                prepared.Add(_encoder.Prepare(clip));
            }
            var all = prepared.Count == 1 ? prepared[0] : cat(prepared, 0);
            long total = all.shape[0];
            var parts = new List<Tensor>();
            for (long start = 0; start < total; start += Settings.FramesPerBatch)
            {
                long count = Math.Min(Settings.FramesPerBatch, total - start);
                parts.Add(_encoder.Encode(all.narrow(0, start, count)));
                Interlocked.Increment(ref _forwards);
                Interlocked.Add(ref _framesEncoded, count);
            }
            var features = parts.Count == 1 ? parts[0] : cat(parts, 1);
            for (int j = 0; j < misses.Count; j++)
            {
                int i = misses[j];
                results[i] = features.narrow(1, (long)j * frames, frames).contiguous().data<float>().ToArray();
            }
        }
        if (folder is not null)
            foreach (int i in misses)
                ClipFeatureCache.Write(folder, keys[i], outDims, results[i]);
        return results;
    }
}

/// <summary>The output column of a CLIP featurizer. Over a whole data view (Transform), a cursor that reads rows in order
/// reads <see cref="ClipFeatureSettings.RowsPerBatch"/> clips ahead through a second cursor and encodes their frames together;
/// a shuffled cursor, or a single row (PredictionEngine), is computed one clip at a time.</summary>
internal sealed class ClipFeatureMapping : ColumnMapping
{
    private readonly ClipFeatureComputer _computer;
    private readonly IDataView? _source;
    private readonly DataViewSchema.Column _input;
    private readonly DataViewSchema.Column? _path;
    private readonly int[] _clipDims;
    private readonly int _outputSize;

    public ClipFeatureMapping(DataViewSchema inputSchema, IDataView? source, ClipFeatureComputer computer) : base(inputSchema)
    {
        _computer = computer;
        _source = source;
        var s = computer.Settings;
        _input = inputSchema.GetColumnOrNull(s.InputColumnName) ?? throw SchemaErrors.ColumnNotFound("input", s.InputColumnName);
        bool channelsFirst = s.InputLayout == ClipFrameLayout.Cthw;
        string expected = channelsFirst ? "known-size Vector<Single, 3, T, H, W>" : "known-size Vector<Single, T, 3, H, W>";
        if (_input.Type is not VectorDataViewType { IsKnownSize: true } vector || !vector.ItemType.Equals(NumberDataViewType.Single)
            || vector.Dimensions.Length != 4 || vector.Dimensions[channelsFirst ? 0 : 1] != 3)
            throw SchemaErrors.Mismatch("input", s.InputColumnName, expected, SchemaErrors.Describe(_input.Type));
        _clipDims = [.. vector.Dimensions];
        if (computer.KeysByFile)
        {
            string pathName = s.VideoPathColumnName!;
            _path = inputSchema.GetColumnOrNull(pathName) ?? throw SchemaErrors.ColumnNotFound("video path", pathName);
            if (_path.Value.Type is not TextDataViewType)
                throw SchemaErrors.Mismatch("video path", pathName, "Text", SchemaErrors.Describe(_path.Value.Type));
        }
        int[] dims = computer.OutputDims(channelsFirst ? _clipDims[1] : _clipDims[0]);
        _outputSize = dims.Aggregate(1, (a, b) => checked(a * b));
        OutputColumns = [new DataViewSchema.DetachedColumn(s.OutputColumnName, new VectorDataViewType(NumberDataViewType.Single, dims))];
    }

    public override IReadOnlyList<DataViewSchema.DetachedColumn> OutputColumns { get; }

    public override IEnumerable<DataViewSchema.Column> GetDependencies(bool[] activeOutputs)
        => !activeOutputs[0] ? [] : _path is { } path ? [_input, path] : [_input];

    private ValueGetter<ReadOnlyMemory<char>>? PathGetter(DataViewRow row) => _path is { } path ? row.GetGetter<ReadOnlyMemory<char>>(row.Schema[path.Index]) : null;

    public override Delegate?[] CreateGetters(DataViewRow input, bool[] activeOutputs, out Action? disposer)
    {
        disposer = null;
        if (!activeOutputs[0]) return [null];
        var source = input.GetGetter<VBuffer<float>>(_input);
        VBuffer<float> buffer = default;
        float[] ReadClip(ValueGetter<VBuffer<float>> getter)
        {
            getter(ref buffer);
            var dense = new float[buffer.Length];
            buffer.CopyTo(dense);
            return dense;
        }

        var pathGetter = PathGetter(input);
        ReadOnlyMemory<char> pathBuffer = default;
        Func<float[]> one = () =>
        {
            string? path = null;
            if (pathGetter is not null)
            {
                pathGetter(ref pathBuffer);
                path = pathBuffer.ToString();
                if (_computer.TryReadByFile(path, _clipDims) is { } hit) return hit;    // the clip is not read (nor decoded)
            }
            return _computer.Featurize([ReadClip(source)], _clipDims, [path])[0];
        };
        Func<float[]> compute = one;
        if (_source is not null && _computer.Settings.RowsPerBatch > 1 && input is DataViewRowCursor)
        {
            var reader = new ReadAhead(this, input.GetIdGetter());
            disposer = reader.Dispose;
            compute = () => reader.Get() ?? one();
        }

        long cachedPosition = -1;
        float[]? cached = null;
        ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
        {
            if (cached is null || input.Position != cachedPosition)
            {
                cached = compute();
                cachedPosition = input.Position;
            }
            var editor = VBufferEditor.Create(ref value, _outputSize);
            cached.AsSpan().CopyTo(editor.Values);
            value = editor.Commit();
        };
        return [getter];
    }

    /// <summary>A second cursor over the source that reads the next rows' clips and featurizes them together. Rows are matched by
    /// row id; when the main cursor's row is not found within a few batches (a shuffled cursor), it gives up for good.</summary>
    private sealed class ReadAhead(ClipFeatureMapping owner, ValueGetter<DataViewRowId> mainId)
    {
        private readonly Dictionary<DataViewRowId, float[]> _ready = [];
        private DataViewRowCursor? _cursor;
        private ValueGetter<DataViewRowId>? _id;
        private ValueGetter<VBuffer<float>>? _clip;
        private ValueGetter<ReadOnlyMemory<char>>? _pathGetter;
        private VBuffer<float> _buffer;
        private ReadOnlyMemory<char> _pathBuffer;
        private bool _failed;

        public float[]? Get()
        {
            if (_failed) return null;
            DataViewRowId id = default;
            mainId(ref id);
            if (_ready.Remove(id, out var ready)) return ready;
            _ready.Clear();
            if (_cursor is null)
            {
                var schema = owner._source!.Schema;
                _cursor = owner._source.GetRowCursor(owner._path is { } p ? [schema[owner._input.Index], schema[p.Index]] : [schema[owner._input.Index]]);
                _id = _cursor.GetIdGetter();
                _clip = _cursor.GetGetter<VBuffer<float>>(_cursor.Schema[owner._input.Index]);
                _pathGetter = owner.PathGetter(_cursor);
            }
            int rows = owner._computer.Settings.RowsPerBatch;
            DataViewRowId seen = default;
            bool found = false;
            for (int skipped = 0; skipped <= 4 * rows && _cursor.MoveNext(); skipped++)
            {
                _id!(ref seen);
                if (seen.Equals(id)) { found = true; break; }
            }
            if (!found)
            {
                Dispose();
                _failed = true;
                return null;
            }
            // Rows served by a file-keyed cache hit are not read (nor decoded); the others are encoded together.
            var ids = new List<DataViewRowId>();
            var clips = new List<float[]>();
            var paths = new List<string?>();
            int taken = 0;
            do
            {
                _id!(ref seen);
                taken++;
                string? path = null;
                if (_pathGetter is not null)
                {
                    _pathGetter(ref _pathBuffer);
                    path = _pathBuffer.ToString();
                    if (owner._computer.TryReadByFile(path, owner._clipDims) is { } hit)
                    {
                        _ready[seen] = hit;
                        continue;
                    }
                }
                ids.Add(seen);
                paths.Add(path);
                clips.Add(Read());
            }
            while (taken < rows && _cursor.MoveNext());
            if (clips.Count > 0)
            {
                var features = owner._computer.Featurize(clips, owner._clipDims, paths);
                for (int i = 0; i < ids.Count; i++) _ready[ids[i]] = features[i];
            }
            return _ready.Remove(id, out var result) ? result : null;
        }

        private float[] Read()
        {
            _clip!(ref _buffer);
            var dense = new float[_buffer.Length];
            _buffer.CopyTo(dense);
            return dense;
        }

        public void Dispose()
        {
            _cursor?.Dispose();
            _cursor = null;
        }
    }
}
