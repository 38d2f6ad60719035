using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>
/// Rewrites an entry of an MLNetVideo component inside a saved model zip the way an attacker who understands the format
/// would: the entry gets new content and the component's manifest (in its <c>Model.key</c>) gets the new length and SHA-256,
/// so the damage check passes and only the loader's other rules stand between the zip and the process.
/// </summary>
internal static class ModelZipTampering
{
    /// <summary>The MLNetVideo entries of a zip whose name ends with <paramref name="suffix"/> (for example "/Options.json").</summary>
    public static string[] EntriesEndingWith(string zipPath, string suffix)
    {
        using var archive = ZipFile.OpenRead(zipPath);
        return archive.Entries.Select(e => e.FullName).Where(n => n.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>The content of one entry.</summary>
    public static byte[] Read(string zipPath, string entryName)
    {
        using var archive = ZipFile.OpenRead(zipPath);
        using var stream = archive.GetEntry(entryName)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Replaces <paramref name="entryName"/> with <paramref name="content"/> and fixes its manifest record.</summary>
    public static void Replace(string zipPath, string entryName, byte[] content)
        => Replace(zipPath, entryName, content.LongLength, SHA256.HashData(content), output => output.Write(content));

    /// <summary>Replaces an entry with what <paramref name="write"/> writes (<paramref name="length"/> bytes whose SHA-256 is
    /// <paramref name="sha256"/>), compressed, and fixes its manifest record: for contents too large to hold in memory.</summary>
    public static void Replace(string zipPath, string entryName, long length, byte[] sha256, Action<Stream> write)
    {
        int slash = entryName.LastIndexOf('/');
        string folder = slash < 0 ? "" : entryName[..(slash + 1)];
        string name = entryName[(slash + 1)..];
        string keyName = folder + "Model.key";
        byte[] old = Read(zipPath, entryName);
        byte[] key = Read(zipPath, keyName);
        // The record is the entry name as a .NET BinaryWriter string (7-bit length, UTF-8), its int64 length, its SHA-256.
        using var record = new MemoryStream();
        using (var writer = new BinaryWriter(record, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(name);
            writer.Write((long)old.Length);
            writer.Write(SHA256.HashData(old));
        }
        byte[] needle = record.ToArray();
        int at = ZipEditing.IndexOf(key, needle);
        if (at < 0)
            throw new InvalidOperationException($"No manifest record of '{name}' in {keyName}.");
        int lengthAt = at + needle.Length - 40;
        BinaryPrimitives.WriteInt64LittleEndian(key.AsSpan(lengthAt), length);
        sha256.CopyTo(key.AsSpan(lengthAt + 8));
        using var archive = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        archive.GetEntry(entryName)!.Delete();
        using (var output = archive.CreateEntry(entryName, CompressionLevel.Optimal).Open())
            write(output);
        Write(archive, keyName, key);
    }

    private static void Write(ZipArchive archive, string name, byte[] content)
    {
        archive.GetEntry(name)!.Delete();
        using var output = archive.CreateEntry(name).Open();
        output.Write(content);
    }
}
