namespace MLNetVideo.Transforms.Decoding;

/// <summary>Finds a program the way a careful shell would, minus the current directory: an absolute path is used as it is
/// (when it is an executable file); a bare name is looked up in the absolute folders of PATH, first match wins.</summary>
internal static class ExecutableSearch
{
    public static string? Find(string program, string? pathVariable = null)
    {
        if (Path.IsPathFullyQualified(program))
            return IsExecutableFile(program) ? Path.GetFullPath(program) : null;
        if (program.IndexOfAny(['/', '\\']) >= 0)
            return null;
        string[] names = OperatingSystem.IsWindows() && !program.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? [program + ".exe", program] : [program];
        foreach (var folder in (pathVariable ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            // An empty entry or "." means the current directory to a shell: skipped, like every relative entry.
            if (folder.Length == 0 || !Path.IsPathFullyQualified(folder))
                continue;
            foreach (var name in names)
            {
                string candidate = Path.Combine(folder, name);
                if (IsExecutableFile(candidate))
                    return Path.GetFullPath(candidate);
            }
        }
        return null;
    }

    private static bool IsExecutableFile(string path)
    {
        if (!File.Exists(path))
            return false;
        if (OperatingSystem.IsWindows())
            return true;
        const UnixFileMode execute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        return (File.GetUnixFileMode(path) & execute) != 0;
    }
}
