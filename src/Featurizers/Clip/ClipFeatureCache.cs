using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace MLNetVideo.Featurizers.Clip;

/// <summary>
/// On-disk cache of per-clip CLIP features (the <c>CacheFolder</c> option of both CLIP featurizers). One file per clip,
/// <c>{folder}/{key[0..2]}/{key}.clipfeat</c>, where the key is the SHA-256 of the clip's bytes and every setting that changes
/// the features (see <see cref="Key"/>).
/// </summary>
/// <remarks>
/// File layout (little-endian): magic <c>MLNVCLIP</c>, format version (int32), key (32 bytes), rank (int32), dims (int32 each),
/// payload length in bytes (int64), payload (float32), SHA-256 of the payload (32 bytes). A file is used only when every field
/// agrees with what the reader expects and the payload hash matches; otherwise the features are recomputed and the file is
/// rewritten. Writes go to a unique temporary file in the same folder, then an atomic rename, so readers never see a partial file
/// and concurrent writers of the same key are harmless. The cache is not bounded: delete the folder (or call
/// <see cref="Clear"/>) to reclaim space. One ViT-B/16 clip of 8 frames with M = 4 and q/k is 12 × 8 × 197 × 768 × 4 B ≈ 58 MB.
/// </remarks>
public static class ClipFeatureCache
{
    /// <summary>Version of the file layout and of the key derivation; bump it when either changes.</summary>
    public const int FormatVersion = 1;

    private const string Extension = ".clipfeat";
    private static ReadOnlySpan<byte> Magic => "MLNVCLIP"u8;

    /// <summary>Deletes every cache file under <paramref name="folder"/> (other files are left alone).</summary>
    /// <param name="folder">The cache folder.</param>
    /// <returns>The number of files deleted.</returns>
    public static int Clear(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        if (!Directory.Exists(folder)) return 0;
        int count = 0;
        foreach (var file in Directory.EnumerateFiles(folder, "*" + Extension, SearchOption.AllDirectories))
        {
            File.Delete(file);
            count++;
        }
        return count;
    }

    /// <summary>The key of one clip: SHA-256 of the format version, the featurizer's identity string (route, weights hash, variant,
    /// layers, q/k, preprocessing, input layout), the clip's dimensions and its float32 bytes.</summary>
    internal static byte[] Key(string identity, ReadOnlySpan<int> clipDims, ReadOnlySpan<float> clip)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> number = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(number, FormatVersion);
        hash.AppendData(number);
        hash.AppendData(Encoding.UTF8.GetBytes(identity));
        foreach (int d in clipDims)
        {
            BinaryPrimitives.WriteInt32LittleEndian(number, d);
            hash.AppendData(number);
        }
        hash.AppendData(MemoryMarshal.AsBytes(clip));
        return hash.GetHashAndReset();
    }

    /// <summary>The key of a clip decoded from a video file: SHA-256 of the format version, the featurizer's identity, the
    /// description of the sampling that produced the clip, the clip's dimensions and the SHA-256 of the file's content.</summary>
    internal static byte[] FileKey(string identity, string sampling, ReadOnlySpan<int> clipDims, string fileSha256)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"file-key v{FormatVersion}\n{identity}\n{sampling}\n{string.Join(",", clipDims.ToArray())}\n{fileSha256}"));
        return hash.GetHashAndReset();
    }

    /// <summary>The part of a <c>LoadVideoFrames</c> configuration that decides which pixels a clip holds (everything except
    /// the column names, tool paths, timeouts and limits), as JSON.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sampling is random (Training mode): the same file gives different clips.</exception>
    internal static string SamplingKey(MLNetVideo.Transforms.Decoding.VideoFrameLoadingEstimator.Options sampling)
    {
        if (sampling.Mode == MLNetVideo.Transforms.Decoding.VideoLoadingMode.Training)
            throw new ArgumentOutOfRangeException(nameof(sampling), sampling.Mode,
                "A cache keyed by video file needs deterministic sampling (Mode = Inference): training-mode sampling gives a different clip from the same file every time. Leave CacheVideoPathColumnName unset to key by the clip's bytes instead.");
        var node = System.Text.Json.JsonSerializer.SerializeToNode(sampling)!.AsObject();
        foreach (var name in new[] { "OutputColumnName", "InputColumnName", "VideoFolder", "AllowPathsOutsideVideoFolder", "DecodeTimeout", "FfmpegPath", "FfprobePath", "MaxResolution" })
            node.Remove(name);
        return node.ToJsonString();
    }

    internal static string PathOf(string folder, byte[] key)
    {
        string hex = Convert.ToHexStringLower(key);
        return Path.Combine(folder, hex[..2], hex + Extension);
    }

    /// <summary>Reads the features stored under <paramref name="key"/>; null when absent or invalid (then <paramref name="corrupt"/>
    /// tells whether a file was there but failed validation).</summary>
    internal static float[]? TryRead(string folder, byte[] key, ReadOnlySpan<int> dims, out bool corrupt)
    {
        corrupt = false;
        string path = PathOf(folder, key);
        byte[] bytes;
        try
        {
            if (!File.Exists(path)) return null;
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException)
        {
            return null;
        }
        long elements = 1;
        foreach (int d in dims) elements *= d;
        long expectedLength = Magic.Length + 4 + 32 + 4 + 4L * dims.Length + 8 + 4 * elements + 32;
        corrupt = true;
        if (bytes.LongLength != expectedLength) return null;
        var span = bytes.AsSpan();
        if (!span[..Magic.Length].SequenceEqual(Magic)) return null;
        int pos = Magic.Length;
        if (BinaryPrimitives.ReadInt32LittleEndian(span[pos..]) != FormatVersion) return null;
        pos += 4;
        if (!span.Slice(pos, 32).SequenceEqual(key)) return null;
        pos += 32;
        if (BinaryPrimitives.ReadInt32LittleEndian(span[pos..]) != dims.Length) return null;
        pos += 4;
        foreach (int d in dims)
        {
            if (BinaryPrimitives.ReadInt32LittleEndian(span[pos..]) != d) return null;
            pos += 4;
        }
        if (BinaryPrimitives.ReadInt64LittleEndian(span[pos..]) != 4 * elements) return null;
        pos += 8;
        var payload = span.Slice(pos, (int)(4 * elements));
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(span.Slice(pos + payload.Length, 32))) return null;
        corrupt = false;
        var values = new float[elements];
        if (BitConverter.IsLittleEndian)
            payload.CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
        else
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(payload[(4 * i)..]);
        return values;
    }

    /// <summary>Writes features under <paramref name="key"/> (temporary file, then atomic rename).</summary>
    internal static void Write(string folder, byte[] key, ReadOnlySpan<int> dims, ReadOnlySpan<float> values)
    {
        string path = PathOf(folder, key);
        string directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var payload = MemoryMarshal.AsBytes(values);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The CLIP feature cache is written little-endian only.");
        string temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> number = stackalloc byte[8];
                stream.Write(Magic);
                BinaryPrimitives.WriteInt32LittleEndian(number, FormatVersion);
                stream.Write(number[..4]);
                stream.Write(key);
                BinaryPrimitives.WriteInt32LittleEndian(number, dims.Length);
                stream.Write(number[..4]);
                foreach (int d in dims)
                {
                    BinaryPrimitives.WriteInt32LittleEndian(number, d);
                    stream.Write(number[..4]);
                }
                BinaryPrimitives.WriteInt64LittleEndian(number, payload.Length);
                stream.Write(number);
                stream.Write(payload);
                stream.Write(SHA256.HashData(payload));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
