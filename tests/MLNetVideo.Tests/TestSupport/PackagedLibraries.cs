using System.Reflection;
using System.Text.Json;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>The assemblies MLNetVideo ships as packages: the projects of MLNetVideo.Libraries.slnf (each project file is
/// named as its assembly), so a new package is never left out of the surface checks.</summary>
internal static class PackagedLibraries
{
    public static IReadOnlyList<Assembly> Load()
    {
        using var list = JsonDocument.Parse(File.ReadAllText(Path.Combine(ChildProcess.RepositoryRoot, "MLNetVideo.Libraries.slnf")));
        return list.RootElement.GetProperty("solution").GetProperty("projects").EnumerateArray()
            .Select(p => Assembly.Load(Path.GetFileNameWithoutExtension(p.GetString()!.Replace('\\', '/')))).ToList();
    }
}
