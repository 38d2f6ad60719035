using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Errors;
using MLNetVideo.Interop;
using static TorchSharp.torch;

namespace MLNetVideo.Featurizers.Clip;

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
