using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MLNetVideo.Tests.Core.Weights;

/// <summary>Locates the real checkpoints in shared/data/checkpoints and crafts hostile or unusual files for the weight readers.</summary>
internal static class WeightsTestData
{
    /// <summary>The path of a real checkpoint from ../shared/data/checkpoints (relative to the repository root), or
    /// <see cref="Assert.Inconclusive(string)"/> with the reason when that folder is absent.</summary>
    public static string Checkpoint(string name)
    {
        var folder = CheckpointFolder();
        if (folder is null)
            Assert.Inconclusive("The real checkpoints folder (../shared/data/checkpoints next to the repository root) is not present on this machine.");
        var path = Path.Combine(folder!, name);
        if (!File.Exists(path))
            Assert.Inconclusive($"The real checkpoint '{name}' is not in {folder}.");
        return path;
    }

    private static string? CheckpointFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MLNetVideo.sln")))
            {
                var candidate = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "checkpoints"));
                return Directory.Exists(candidate) ? candidate : null;
            }
        }
        return null;
    }

    /// <summary>A safetensors file from a raw header text and data bytes (no validation, so tests can lie).</summary>
    public static byte[] RawSafeTensors(string header, byte[] data, ulong? declaredHeaderLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    /// <summary>Writes a PyTorch-style zip checkpoint: &lt;archive&gt;/data.pkl, &lt;archive&gt;/data/&lt;key&gt;, byteorder and version.</summary>
    public static void WriteTorchZip(
        string path, byte[] pickle, IReadOnlyDictionary<string, byte[]>? storages = null, string archive = "archive",
        string byteOrder = "little", CompressionLevel compression = CompressionLevel.NoCompression)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        void Add(string name, byte[] content)
        {
            var entry = zip.CreateEntry($"{archive}/{name}", compression);
            using var stream = entry.Open();
            stream.Write(content);
        }
        Add("data.pkl", pickle);
        Add("byteorder", Encoding.ASCII.GetBytes(byteOrder));
        foreach (var (key, content) in storages ?? new Dictionary<string, byte[]>())
            Add($"data/{key}", content);
        Add("version", "3\n"u8.ToArray());
    }

    /// <summary>Bytes of a little-endian array.</summary>
    public static byte[] Bytes<T>(params T[] values) where T : unmanaged
        => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
}
