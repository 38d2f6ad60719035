using System.Diagnostics;
using TorchSharp;

namespace MLNetVideo.Tests.Core;

/// <summary>
/// Issue 22, item 1: the OpenMP wait policy reaches libgomp (it is read once, when libtorch loads, from the native
/// environment) and the thread setting reaches torch. Each case runs tests/TrainingHost in <c>--runtime-probe</c> mode as
/// a fresh process, with <c>OMP_DISPLAY_ENV=TRUE</c> so libgomp itself prints the policy it initialised with.
/// </summary>
[TestClass]
public sealed class VideoRuntimeTests
{
    private static (int ExitCode, string Stdout, string Stderr) Probe(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Reliability.TrainingKillResumeTests.HostPath());
        start.ArgumentList.Add("--runtime-probe");
        foreach (var a in args)
            start.ArgumentList.Add(a);
        foreach (var name in new[] { "OMP_WAIT_POLICY", "OMP_NUM_THREADS", "MKL_NUM_THREADS", VideoRuntime.ThreadsVariable })
            start.Environment.Remove(name);
        start.Environment["OMP_DISPLAY_ENV"] = "TRUE";
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        Assert.IsTrue(process.WaitForExit(60_000), "probe process timed out");
        return (process.ExitCode, stdout, stderr.Result);
    }

    private static string Line(string text, string prefix) =>
        text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) ?? "";

    [TestMethod]
    public void ByDefault_LibgompStartsPassive_AndTheThreadVariableApplies()
    {
        var (code, stdout, stderr) = Probe(new Dictionary<string, string?> { [VideoRuntime.ThreadsVariable] = "1" });
        Assert.AreEqual(0, code, stderr);
        Assert.AreEqual("sum 262144", Line(stdout, "sum "));
        Assert.AreEqual("threads 1", Line(stdout, "threads "));
        Assert.AreEqual("policy PASSIVE", Line(stdout, "policy "));
        if (OperatingSystem.IsLinux()) // libgomp's own report of the value it read at load (libiomp5 on Windows prints none)
            StringAssert.Contains(stderr, "OMP_WAIT_POLICY = 'PASSIVE'");
    }

    [TestMethod]
    public void AUserSetPolicyStands_AndThreadsCanBeChangedAfterTorchLoaded()
    {
        var (code, stdout, stderr) = Probe(new Dictionary<string, string?> { ["OMP_WAIT_POLICY"] = "ACTIVE", [VideoRuntime.ThreadsVariable] = "1" }, "2");
        Assert.AreEqual(0, code, stderr);
        Assert.AreEqual("threads 2", Line(stdout, "threads "));
        Assert.AreEqual("policy ACTIVE", Line(stdout, "policy "));
        if (OperatingSystem.IsLinux())
            StringAssert.Contains(stderr, "OMP_WAIT_POLICY = 'ACTIVE'");
    }

    [TestMethod]
    public void WithoutTheVariable_ThreadsFollowOmpNumThreads_ThenTheProcessorCount()
    {
        var (code, stdout, stderr) = Probe(new Dictionary<string, string?> { ["OMP_NUM_THREADS"] = "1" });
        Assert.AreEqual(0, code, stderr);
        Assert.AreEqual("threads 1", Line(stdout, "threads "));

        (code, stdout, stderr) = Probe(new Dictionary<string, string?>());
        Assert.AreEqual(0, code, stderr);
        Assert.AreEqual($"threads {Environment.ProcessorCount}", Line(stdout, "threads "));
    }

    [TestMethod]
    public void ABadThreadVariable_IsAClearError()
    {
        var (code, _, stderr) = Probe(new Dictionary<string, string?> { [VideoRuntime.ThreadsVariable] = "many" });
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "MLNETVIDEO_THREADS");
        StringAssert.Contains(stderr, "\"many\"");
    }

    [TestMethod]
    public void SettingThreads_ToLessThanOne_IsRefused_AndAValidValueReachesTorch()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => VideoRuntime.Threads = 0);
        _ = Devices.DeviceResolver.Resolve("cpu");
        int before = VideoRuntime.Threads;
        try
        {
            VideoRuntime.Threads = 1;
            Assert.AreEqual(1, torch.get_num_threads());
        }
        finally
        {
            VideoRuntime.Threads = before;
        }
        Assert.AreEqual(before, torch.get_num_threads());
    }
}
