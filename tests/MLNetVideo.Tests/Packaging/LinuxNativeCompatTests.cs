using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Packaging;

/// <summary>
/// The libstdc++ step that MLNetVideo.Core's package runs in every consuming build (build/LinuxNativeCompat): on a system whose
/// libstdc++ lacks what TorchSharp needs, a machine without g++ or patchelf gets one line naming them, and the library is left alone.
/// </summary>
[TestClass, TestCategory(TestCategories.Process)]
public sealed class LinuxNativeCompatTests
{
    [TestMethod]
    public void MissingCompilerAndPatchelf_StopWithOneLineNamingThem_AndLeaveTheLibraryUntouched()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")
            || Encoding.ASCII.GetString(File.ReadAllBytes("/usr/lib/x86_64-linux-gnu/libstdc++.so.6")).Contains("GLIBCXX_3.4.32\0", StringComparison.Ordinal))
            Assert.Inconclusive("This system's libstdc++ already has GLIBCXX_3.4.32: the step does nothing here.");

        string repo = RepositoryRoot();
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.IsTrue(File.Exists(original), $"TorchSharp's native library is not in the NuGet cache at {original}");

        using var work = new TempFolder("mlnetvideo-nativecompat");
        string native = Directory.CreateDirectory(Path.Combine(work.Path, "native")).FullName;
        string lib = Path.Combine(native, "libLibTorchSharp.so");
        File.Copy(original, lib);
        byte[] before = SHA256.HashData(File.ReadAllBytes(lib));

        // A PATH with the shell tools the script uses, but neither g++ nor patchelf.
        string bin = Directory.CreateDirectory(Path.Combine(work.Path, "bin")).FullName;
        foreach (var tool in new[] { "bash", "sh", "ldd", "grep", "dirname", "sed", "cat", "mkdir", "cp", "mktemp", "rm", "chmod", "mv", "head", "tr", "env" })
        {
            string? found = new[] { "/usr/bin", "/bin", "/usr/sbin", "/sbin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (found is not null)
                File.CreateSymbolicLink(Path.Combine(bin, tool), found);
        }
        var start = new ProcessStartInfo("/bin/bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(repo, "build", "LinuxNativeCompat", "patch-libtorchsharp.sh"));
        start.ArgumentList.Add(native);
        start.ArgumentList.Add(Path.Combine(work.Path, "tools"));
        start.Environment["PATH"] = bin;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(60_000), "the script did not finish within a minute");

        Assert.AreEqual(3, process.ExitCode, $"stdout: {stdout.Result}\nstderr: {stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.HasCount(1, lines, stderr);
        StringAssert.StartsWith(lines[0], "error MLNV001: ");
        StringAssert.Contains(lines[0], "needs g++ patchelf");
        StringAssert.Contains(lines[0], "apt-get install -y g++ patchelf");
        CollectionAssert.AreEqual(before, SHA256.HashData(File.ReadAllBytes(lib)), "the library was changed");
        Assert.IsFalse(Directory.Exists(Path.Combine(work.Path, "tools")), "nothing is compiled without a compiler");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MLNetVideo.sln")))
                return dir.FullName;
        throw new AssertFailedException($"No MLNetVideo.sln above {AppContext.BaseDirectory}.");
    }
}
