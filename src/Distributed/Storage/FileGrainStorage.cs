using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using MLNetVideo.Persistence;
using Orleans.Storage;

namespace MLNetVideo.Distributed.Storage;

/// <summary>
/// Grain state in files under a folder the user names: one file per grain and state name, written to a temporary file,
/// flushed to disk and renamed over the previous one, so a silo killed in the middle of a write leaves the previous state
/// intact. Unlike in-memory storage the state outlives the silo that wrote it, which is what lets a grain reactivate on
/// another silo of the same machine (or of machines sharing the folder) and continue. ETags detect a stale writer.
/// </summary>
/// <remarks>File layout: magic <c>MLNVGRN1</c>, ETag (length-prefixed UTF-8), payload length (int64), payload, SHA-256 of
/// everything before it. A damaged file is refused with an <see cref="InvalidDataException"/> naming it (never read as empty
/// state, which would silently restart a job or a stream). The ETag check and the rename are atomic within one process;
/// across processes two activations of one grain (possible only for a moment during a network partition) could both write,
/// the later rename winning — deployments that need a strict guarantee use a database provider (docs/components/Orleans.md).</remarks>
internal sealed class FileGrainStorage : IGrainStorage
{
    private static ReadOnlySpan<byte> Magic => "MLNVGRN1"u8;
    private readonly string _name;
    private readonly string _folder;
    private readonly IGrainStorageSerializer _serializer;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    public FileGrainStorage(string name, FileGrainStorageOptions options, IGrainStorageSerializer serializer)
    {
        if (string.IsNullOrWhiteSpace(options.Folder))
            throw new ArgumentException($"File grain storage '{name}': FileGrainStorageOptions.Folder must name a folder.", nameof(options));
        _name = name;
        _folder = Path.GetFullPath(options.Folder);
        _serializer = serializer;
        Directory.CreateDirectory(_folder);
    }

    /// <summary>The file that holds one grain's state: the state name and a hash of the grain id, so any key is a safe file name.</summary>
    internal string PathOf(string stateName, GrainId grainId)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{stateName}\n{grainId}")));
        return Path.Combine(_folder, hash[..2], hash + ".state");
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => UnderLockAsync(PathOf(stateName, grainId), async path =>
        {
            var stored = await ReadFileAsync(path).ConfigureAwait(false);
            if (stored is null)
            {
                Reset(grainState);
                return;
            }
            grainState.State = _serializer.Deserialize<T>(new BinaryData(stored.Value.Payload))!;
            grainState.ETag = stored.Value.ETag;
            grainState.RecordExists = true;
        });

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => UnderLockAsync(PathOf(stateName, grainId), async path =>
        {
            var stored = await ReadFileAsync(path).ConfigureAwait(false);
            CheckETag(stored?.ETag, grainState.ETag, grainId);
            string etag = Guid.NewGuid().ToString("N");
            await WriteFileAsync(path, etag, _serializer.Serialize(grainState.State).ToArray()).ConfigureAwait(false);
            grainState.ETag = etag;
            grainState.RecordExists = true;
        });

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
        => UnderLockAsync(PathOf(stateName, grainId), async path =>
        {
            var stored = await ReadFileAsync(path).ConfigureAwait(false);
            CheckETag(stored?.ETag, grainState.ETag, grainId);
            File.Delete(path);
            Reset(grainState);
        });

    private static void Reset<T>(IGrainState<T> grainState)
    {
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    /// <summary>One operation at a time per file within this process (the ETag check and the rename stay together).</summary>
    private async Task UnderLockAsync(string path, Func<string, Task> operation)
    {
        var gate = _locks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await operation(path).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    private void CheckETag(string? stored, string? expected, GrainId grainId)
    {
        if (!string.Equals(stored, expected, StringComparison.Ordinal))
            throw new InconsistentStateException(
                $"File grain storage '{_name}': the state of {grainId} was changed by another writer (stored ETag {stored ?? "none"}, this activation read {expected ?? "none"}).",
                stored, expected);
    }

    private static async Task<(string ETag, byte[] Payload)?> ReadFileAsync(string path)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        try
        {
            var span = bytes.AsSpan();
            if (span.Length < Magic.Length + 4 + 8 + 32 || !span[..Magic.Length].SequenceEqual(Magic))
                throw new InvalidDataException("not a grain state file");
            if (!SHA256.HashData(span[..^32]).AsSpan().SequenceEqual(span[^32..]))
                throw new InvalidDataException("its SHA-256 does not match its content");
            int pos = Magic.Length;
            int etagLength = BinaryPrimitives.ReadInt32LittleEndian(span[pos..]);
            pos += 4;
            if (etagLength is < 0 or > 256 || pos + etagLength + 8 > span.Length - 32) throw new InvalidDataException("bad ETag length");
            string etag = Encoding.UTF8.GetString(span.Slice(pos, etagLength));
            pos += etagLength;
            long length = BinaryPrimitives.ReadInt64LittleEndian(span[pos..]);
            pos += 8;
            if (length != span.Length - 32 - pos) throw new InvalidDataException("bad payload length");
            return (etag, span.Slice(pos, (int)length).ToArray());
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The grain state file '{path}' is damaged ({e.Message}); restore it or delete it to start that grain afresh.", e);
        }
    }

    private static async Task WriteFileAsync(string path, string etag, byte[] payload)
    {
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var etagBytes = Encoding.UTF8.GetBytes(etag);
        var content = new byte[Magic.Length + 4 + etagBytes.Length + 8 + payload.Length];
        Magic.CopyTo(content);
        int pos = Magic.Length;
        BinaryPrimitives.WriteInt32LittleEndian(content.AsSpan(pos), etagBytes.Length);
        pos += 4;
        etagBytes.CopyTo(content, pos);
        pos += etagBytes.Length;
        BinaryPrimitives.WriteInt64LittleEndian(content.AsSpan(pos), payload.Length);
        pos += 8;
        payload.CopyTo(content, pos);
        var hash = SHA256.HashData(content);
        await Task.Run(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(content);
            stream.Write(hash);
        })).ConfigureAwait(false);
    }
}
