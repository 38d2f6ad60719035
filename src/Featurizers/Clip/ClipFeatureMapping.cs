using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Data;
using MLNetVideo.Errors;

namespace MLNetVideo.Featurizers.Clip;

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
