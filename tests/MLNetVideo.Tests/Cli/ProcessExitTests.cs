using System.Diagnostics;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Cli;

/// <summary>
/// Issue 18, item 5: <c>mlnetvideo train</c> used to end with SIGSEGV (exit 139) now and then, after writing every output,
/// in the native teardown at exit. The real executable is run in child processes, train → exit, several times with the
/// models it was seen after (TSM, MoViNet) and S3D-G, and every run must end with exit code 0 and its outputs; a failing
/// run must still report its own exit code.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ProcessExitTests
{
    [TestMethod]
    public void TrainThenExit_InAChildProcess_EndsWithExitCode0_EveryTime()
    {
        using var folder = new TempFolder("mlnv-exit");
        string data = folder.File("data");
        SyntheticActionVideos.Generate(data, new SyntheticActionOptions
        {
            VideosPerClass = 3, Classes = [SyntheticAction.Left, SyntheticAction.Right], Frames = 8, Size = 32, Seed = 7,
        });
        var watch = Stopwatch.StartNew();
        foreach (var model in new[] { "tsm", "movinet-a0", "s3dg", "tsm" })
        {
            string output = folder.File($"{model}-{watch.ElapsedTicks}");
            var (code, text) = RunCli("train", "--data", data, "--model", model, "--epochs", "1", "--test-fraction", "0.34",
                "--output", Path.Combine(output, "model.zip"), "--device", "cpu");
            Assert.AreEqual(0, code, $"{model}: exit code {code}{(code == 139 ? " (SIGSEGV)" : "")}\n{text}");
            Assert.IsTrue(File.Exists(Path.Combine(output, "model.zip")), text);
            Assert.IsTrue(File.Exists(Path.Combine(output, "metrics.json")), text);
            StringAssert.Contains(text, "Wrote ");
        }

        var (failed, message) = RunCli("train", "--data", folder.File("missing"), "--model", "s3dg", "--device", "cpu");
        Assert.AreEqual(2, failed, message);
        StringAssert.Contains(message, "error: --data: the folder");
    }

    private static (int Code, string Output) RunCli(params string[] args)
    {
        // tests/MLNetVideo.Tests/bin/<Configuration>/net10.0/ → src/Cli/bin/<Configuration>/net10.0/mlnetvideo.dll
        var binary = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string repo = binary.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;
        string dll = Path.Combine(repo, "src", "Cli", "bin", binary.Parent.Name, binary.Name, "mlnetvideo.dll");
        Assert.IsTrue(File.Exists(dll), $"the CLI is not built at {dll}");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"mlnetvideo did not finish in 2 minutes:\n{stdout}");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}
