using System.IO.Compression;
using System.Text;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>Edits entries of a saved model zip, to test how loading reacts to damage.</summary>
internal static class ZipEditing
{
    public static string[] EntryNames(string zipPath)
    {
        using var archive = ZipFile.OpenRead(zipPath);
        return archive.Entries.Select(e => e.FullName).ToArray();
    }

    public static void Rewrite(string zipPath, Func<string, bool> match, Func<byte[], byte[]> edit)
    {
        using var archive = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var entry = archive.Entries.Single(e => match(e.FullName));
        byte[] bytes;
        using (var stream = entry.Open())
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }
        var name = entry.FullName;
        entry.Delete();
        var replacement = archive.CreateEntry(name);
        using var output = replacement.Open();
        output.Write(edit(bytes));
    }

    public static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle)) return i;
        return -1;
    }

    /// <summary>Rewrites the uncompressed size of an entry in both zip headers (what a zip bomb does).</summary>
    public static void UnderstateUncompressedSize(string zipPath, string entryName, uint size)
    {
        var bytes = File.ReadAllBytes(zipPath);
        var name = Encoding.ASCII.GetBytes(entryName);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            if (System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) != 0x02014b50) continue;
            int nameLength = System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 28));
            if (!bytes.AsSpan(i + 46, nameLength).SequenceEqual(name)) continue;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
            int local = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 42));
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(local + 22), size);
            File.WriteAllBytes(zipPath, bytes);
            return;
        }
        throw new InvalidOperationException($"Entry {entryName} not found in the central directory.");
    }
}
