using System.Diagnostics;
using System.Security.Cryptography;

namespace MLNetVideo.Files;

/// <summary>Checks for files read on behalf of data or a model: real locations (every symbolic link resolved) and bounded
/// reads of regular files only.</summary>
internal static class FileChecks
{
    /// <summary>The path with every symbolic link along it resolved (parents included), like realpath(3); components
    /// that do not exist are kept as they are.</summary>
    /// <exception cref="IOException">More than 40 levels of links.</exception>
    public static string RealPath(string full, int depth = 0)
    {
        if (depth > 40)
            throw new IOException($"Too many levels of symbolic links resolving '{full}'.");
        string root = Path.GetPathRoot(full) ?? "";
        string current = root;
        foreach (var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            var entry = new FileInfo(current);
            if (entry.LinkTarget is null)
                continue;
            var target = entry.ResolveLinkTarget(returnFinalTarget: true);
            if (target is not null)
                current = RealPath(target.FullName, depth + 1);
        }
        return current;
    }

    /// <summary>Whether <paramref name="full"/> is <paramref name="folder"/> or lies under it (both full paths, compared as text).</summary>
    public static bool IsInside(string full, string folder)
    {
        string relative = Path.GetRelativePath(folder, full);
        return !(relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative));
    }

    /// <summary>Refuses a file whose real location is outside the real location of <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">The file (or a link along its path) leads outside the folder.</exception>
    public static void CheckInside(string path, string folder, string what)
    {
        string real = RealPath(Path.GetFullPath(path)), realFolder = RealPath(Path.GetFullPath(folder));
        if (!IsInside(real, realFolder))
            throw new InvalidDataException($"The {what} '{path}' is a symbolic link to '{real}', outside the folder '{folder}'.");
    }

    /// <summary>Lowercase hex SHA-256 of a regular file of at most <paramref name="maxBytes"/>, read within <paramref name="maxTime"/>.
    /// FIFOs, devices and sockets are refused before they are opened (they report 0 bytes), so a read can neither block nor
    /// run forever.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a regular file, larger than the bound, or too slow to read.</exception>
    public static string Sha256(string path, long maxBytes, TimeSpan maxTime, string what)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
            throw new FileNotFoundException($"The {what} '{path}' does not exist.", path);
        if (info.Length == 0)
            throw new InvalidDataException($"The {what} '{path}' is empty or not a regular file (a device, FIFO or socket is never read).");
        if (info.Length > maxBytes)
            throw new InvalidDataException($"The {what} '{path}' holds {info.Length} bytes, more than the {maxBytes} allowed.");
        var watch = Stopwatch.StartNew();
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += read;
            if (total > maxBytes)
                throw new InvalidDataException($"The {what} '{path}' grew beyond the {maxBytes} bytes allowed while it was read.");
            if (watch.Elapsed > maxTime)
                throw new InvalidDataException($"Reading the {what} '{path}' took longer than the {maxTime} allowed.");
            hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
