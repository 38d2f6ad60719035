namespace ServeModel;

/// <summary>
/// Where uploads live while they are scored: a folder of this process only (owner-only permissions on Linux and macOS),
/// one randomly named file per request, written with a byte limit and deleted when the request ends; the folder goes
/// when the service stops.
/// </summary>
public sealed class UploadFolder : IDisposable
{
    /// <summary>Creates the private folder under <paramref name="root"/> (null: the system's temporary folder).</summary>
    /// <param name="root">The parent folder.</param>
    public UploadFolder(string? root)
    {
        string parent = System.IO.Path.GetFullPath(root ?? System.IO.Path.GetTempPath());
        Path = System.IO.Path.Combine(parent, "mlnetvideo-serve-" + Guid.NewGuid().ToString("N"));
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(Path);
        else
            Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Full path of the folder.</summary>
    public string Path { get; }

    /// <summary>Copies <paramref name="source"/> into a new file named <c>{random}{extension}</c>, at most
    /// <paramref name="maxBytes"/> bytes.</summary>
    /// <param name="source">The upload.</param>
    /// <param name="extension">The file extension (validated by the caller).</param>
    /// <param name="maxBytes">The limit.</param>
    /// <param name="cancellation">The request's cancellation.</param>
    /// <returns>The file name, or null when the upload is longer than the limit (nothing is left behind).</returns>
    public async Task<string?> SaveAsync(Stream source, string extension, long maxBytes, CancellationToken cancellation)
    {
        string name = Guid.NewGuid().ToString("N") + extension;
        string full = System.IO.Path.Combine(Path, name);
        bool complete = false;
        try
        {
            await using (var file = new FileStream(full, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                long total = 0;
                int read;
                while ((read = await source.ReadAsync(buffer, cancellation)) > 0)
                {
                    total += read;
                    if (total > maxBytes)
                        return null;
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellation);
                }
            }
            complete = true;
            return name;
        }
        finally
        {
            if (!complete)
                Delete(name);
        }
    }

    /// <summary>Deletes one upload (a missing file is fine).</summary>
    /// <param name="name">The name <see cref="SaveAsync"/> returned.</param>
    public void Delete(string name)
    {
        try
        {
            File.Delete(System.IO.Path.Combine(Path, name));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Removes the folder and anything left in it.</summary>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
