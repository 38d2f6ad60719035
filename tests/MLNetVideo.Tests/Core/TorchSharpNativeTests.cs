using TorchSharp;

namespace MLNetVideo.Tests.Core;

/// <summary>TorchSharp must load inside the test host, including on Debian 12 / Ubuntu 22.04 whose
/// libstdc++ lacks GLIBCXX_3.4.32 (the build patches the output copy of libLibTorchSharp.so).</summary>
[TestClass]
public sealed class TorchSharpNativeTests
{
    [TestMethod]
    public void TorchOp_RunsInTestHost()
    {
        using var a = torch.arange(1, 5, dtype: torch.float32).reshape(2, 2);
        using var product = a.matmul(a);
        CollectionAssert.AreEqual(new float[] { 7, 10, 15, 22 }, product.data<float>().ToArray());
    }

    [TestMethod]
    public void OnOldLibStdCxx_OutputCopyIsPatched_AndNuGetCacheIsNot()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("The libstdc++ patch applies to Linux only.");
            return;
        }
        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        var library = File.ReadAllBytes(Path.Combine(native, "libLibTorchSharp.so"));
        bool patched = Contains(library, "libmlnetvideo_glibcxx_compat.so"u8.ToArray());
        if (SystemHasGlibcxx3432())
        {
            Assert.IsFalse(patched, "A new enough libstdc++ needs no patch, so none should be applied.");
            return;
        }
        Assert.IsTrue(patched, "The output copy of libLibTorchSharp.so should name the compat library.");
        Assert.IsTrue(File.Exists(Path.Combine(native, "libmlnetvideo_glibcxx_compat.so")));

        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Directory.Exists(cache)
            ? Directory.EnumerateFiles(Path.Combine(cache, "torchsharp-cpu"), "libLibTorchSharp.so", SearchOption.AllDirectories)
                .Concat(Directory.Exists(Path.Combine(cache, "torchsharp")) ? Directory.EnumerateFiles(Path.Combine(cache, "torchsharp"), "libLibTorchSharp.so", SearchOption.AllDirectories) : [])
                .FirstOrDefault()
            : null;
        if (original is not null)
            Assert.IsFalse(Contains(File.ReadAllBytes(original), "libmlnetvideo_glibcxx_compat.so"u8.ToArray()), "The NuGet cache must never be patched.");
    }

    private static bool SystemHasGlibcxx3432()
    {
        foreach (var candidate in new[] { "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6" })
            if (File.Exists(candidate))
                return Contains(File.ReadAllBytes(candidate), "GLIBCXX_3.4.32"u8.ToArray());
        return true;
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;
}
