using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNetVideo.Trainers;

/// <summary>
/// A resumable training checkpoint: one zip file, <c>checkpoint.zip</c> in the checkpoint folder, written atomically
/// (<see cref="MLNetVideo.Persistence.AtomicFile"/>: temporary file in the same folder, flushed, then renamed) with entries
/// <c>checkpoint.json</c> (format, version, family, the run's fingerprint, the <see cref="TrainingProgress"/>, the SHA-256 of
/// the other entries), <c>network.bin</c> (TorchSharp <c>Module.save</c>) and <c>optimizer.bin</c>
/// (TorchSharp <c>save_state_dict</c>: momentum buffers / Adam moments and step counts).
/// </summary>
/// <remarks>Random state is not stored: the loop reseeds torch and the data order from (seed, epoch) at every epoch,
/// so restoring the counters restores the random streams.</remarks>
public static class TrainingCheckpoint
{
    /// <summary>File name inside the checkpoint folder.</summary>
    public const string FileName = "checkpoint.zip";

    private const string Format = "MLNetVideo.TrainingCheckpoint";
    private const int Version = 1;

    private sealed record Header(string Format, int Version, string Family, string Fingerprint, TrainingProgress Progress,
        Dictionary<string, string>? Sha256 = null);

    /// <summary>Full path of the checkpoint in <paramref name="folder"/>.</summary>
    /// <param name="folder">The checkpoint folder.</param>
    /// <returns>The file path.</returns>
    public static string PathIn(string folder) => Path.Combine(folder, FileName);

    /// <summary>Writes the checkpoint atomically.</summary>
    /// <param name="folder">Checkpoint folder (created if needed).</param>
    /// <param name="family">Trainer family (for example "S3D").</param>
    /// <param name="fingerprint">Describes the architecture, data geometry and optimizer; must match at resume.</param>
    /// <param name="progress">Loop counters.</param>
    /// <param name="network">The network.</param>
    /// <param name="optimizer">The optimizer.</param>
    public static void Save(string folder, string family, string fingerprint, TrainingProgress progress, nn.Module network, OptimizerHelper optimizer)
    {
        Directory.CreateDirectory(folder);
        var networkBytes = Serialize(w => network.save(w));
        var optimizerBytes = Serialize(w => optimizer.save_state_dict(w));
        var hashes = new Dictionary<string, string>
        {
            ["network.bin"] = Convert.ToHexStringLower(SHA256.HashData(networkBytes)),
            ["optimizer.bin"] = Convert.ToHexStringLower(SHA256.HashData(optimizerBytes)),
        };
        MLNetVideo.Persistence.AtomicFile.Write(PathIn(folder), file =>
        {
            using var zip = new ZipArchive(file, ZipArchiveMode.Create, leaveOpen: true);
            using (var entry = zip.CreateEntry("checkpoint.json").Open())
                JsonSerializer.Serialize(entry, new Header(Format, Version, family, fingerprint, progress, hashes));
            using (var entry = zip.CreateEntry("network.bin").Open())
                entry.Write(networkBytes);
            using (var entry = zip.CreateEntry("optimizer.bin").Open())
                entry.Write(optimizerBytes);
        });
    }

    private static byte[] Serialize(Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            write(writer);
        return buffer.ToArray();
    }

    /// <summary>Restores network and optimizer state from the checkpoint in <paramref name="folder"/>.</summary>
    /// <param name="folder">Checkpoint folder.</param>
    /// <param name="family">Expected family.</param>
    /// <param name="fingerprint">Expected fingerprint.</param>
    /// <param name="network">Network to fill (same architecture).</param>
    /// <param name="optimizer">Optimizer to fill (same type and parameters).</param>
    /// <returns>The loop counters, or null when the folder has no checkpoint.</returns>
    /// <exception cref="InvalidDataException">The file is damaged, of another format, or from a different run configuration.</exception>
    public static TrainingProgress? TryLoad(string folder, string family, string fingerprint, nn.Module network, OptimizerHelper optimizer)
    {
        string path = PathIn(folder);
        if (!File.Exists(path))
            return null;
        try
        {
            using var zip = OpenZip(path);
            var header = ReadEntry(zip, path, "checkpoint.json", null, s => JsonSerializer.Deserialize<Header>(s))
                ?? throw new InvalidDataException($"Checkpoint '{path}' has an empty header.");
            if (header.Format != Format || header.Version != Version)
                throw new InvalidDataException($"'{path}' is not an MLNetVideo training checkpoint of version {Version} (found {header.Format} v{header.Version}).");
            if (header.Family != family || header.Fingerprint != fingerprint)
                throw new InvalidDataException(
                    $"Checkpoint '{path}' was written by a different training configuration and cannot be resumed.\n" +
                    $"  checkpoint: {header.Family} {header.Fingerprint}\n  this run:   {family} {fingerprint}\n" +
                    "Use the same architecture, clip shape, classes and optimizer, or point CheckpointFolder to another folder.");
            ReadEntry(zip, path, "network.bin", header.Sha256, s => { using var r = new BinaryReader(s); network.load(r, strict: true); return true; });
            ReadEntry(zip, path, "optimizer.bin", header.Sha256, s => { using var r = new BinaryReader(s); optimizer.load_state_dict(r); return true; });
            return header.Progress;
        }
        catch (Exception e) when (e is JsonException or EndOfStreamException or IOException or ArgumentException or InvalidOperationException
            && e is not InvalidDataException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is damaged or does not fit this network: {e.Message}", e);
        }
    }

    private static ZipArchive OpenZip(string path)
    {
        try
        {
            return ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is damaged (not a readable zip): {e.Message}", e);
        }
    }

    private static int ReadChunk(Stream stream, byte[] chunk, string path, string name)
    {
        try
        {
            return stream.Read(chunk, 0, chunk.Length);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Checkpoint '{path}': entry '{name}' is damaged ({e.Message})", e);
        }
    }

    /// <summary>Largest entry read back (a zip bomb cannot make a resume allocate more).</summary>
    private const long MaxEntryBytes = 16L << 30;

    private static T ReadEntry<T>(ZipArchive zip, string path, string name, Dictionary<string, string>? hashes, Func<Stream, T> read)
    {
        var entry = zip.GetEntry(name) ?? throw new InvalidDataException($"Checkpoint '{path}' has no entry '{name}'.");
        if (entry.Length > MaxEntryBytes)
            throw new InvalidDataException($"Checkpoint '{path}': entry '{name}' declares {entry.Length} bytes, more than the {MaxEntryBytes} accepted.");
        using var stream = entry.Open();
        // Buffer the entry: TorchSharp's readers seek, and deflate streams cannot. Read at most one byte past the declared size.
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int count;
        while ((count = ReadChunk(stream, chunk, path, name)) > 0)
        {
            buffer.Write(chunk, 0, count);
            if (buffer.Length > entry.Length)
                throw new InvalidDataException($"Checkpoint '{path}': entry '{name}' holds more than the {entry.Length} bytes its header declares.");
        }
        // Checkpoints written since entry hashes were added carry them; older ones rely on the zip's CRC.
        if (hashes is not null && name != "checkpoint.json"
            && (!hashes.TryGetValue(name, out var expected)
                || !string.Equals(expected, Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length))), StringComparison.Ordinal)))
            throw new InvalidDataException($"Checkpoint '{path}' is damaged: entry '{name}' does not match the SHA-256 recorded when it was saved.");
        buffer.Position = 0;
        return read(buffer);
    }
}
