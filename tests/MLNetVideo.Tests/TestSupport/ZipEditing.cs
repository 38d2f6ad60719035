using System.IO.Compression;

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
}
