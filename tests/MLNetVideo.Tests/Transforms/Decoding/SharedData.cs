namespace MLNetVideo.Tests.Transforms.Decoding;

/// <summary>Finds ../shared/data from the test's folder upwards.</summary>
internal static class SharedData
{
    public static string? Find(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", relative);
            if (Directory.Exists(candidate) || File.Exists(candidate))
                return candidate;
        }
        return null;
    }
}
