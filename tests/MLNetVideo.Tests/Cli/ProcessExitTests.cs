using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Cli;

/// <summary>
/// Issue 18, item 5: <c>mlnetvideo train</c> used to end with SIGSEGV (exit 139) now and then, after writing every output,
/// in the native teardown at exit (seen after TSM and MoViNet training). The real executable is run in child processes:
/// one small TSM train → exit, then several more exits of processes that load that model and run libtorch and the decoders
/// (predict, evaluate, a MoViNet benchmark that trains), two at a time; every one must end with exit code 0 and its outputs,
/// and a failing run must still report its own exit code.
/// </summary>
[TestClass, DoNotParallelize, TestCategory(TestCategories.Process)]
public sealed class ProcessExitTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    public TestContext TestContext { get; set; } = null!;

    [TestMethod, Timeout(120_000, CooperativeCancellation = true)]   // about 10 s on the idle 2-core machine
    public void TrainThenExit_InAChildProcess_EndsWithExitCode0_EveryTime()
    {
        using var folder = new TempFolder("mlnv-exit");
        string data = folder.File("data");
        SyntheticActionVideos.Generate(data, new SyntheticActionOptions
        {
            VideosPerClass = 3, Classes = [SyntheticAction.Left, SyntheticAction.Right], Frames = 8, Size = 32, Seed = 7,
        });
        string model = folder.File("tsm/model.zip");
        var (code, text) = Cli("train", "--data", data, "--model", "tsm", "--epochs", "1", "--test-fraction", "0.34",
            "--output", model, "--device", "cpu");
        AssertExitedCleanly("train tsm", code, text);
        Assert.IsTrue(File.Exists(model), text);
        Assert.IsTrue(File.Exists(Path.Combine(Path.GetDirectoryName(model)!, "metrics.json")), text);
        StringAssert.Contains(text, "Wrote ");

        string[][] exits =
        [
            ["predict", "--model", model, data],
            ["evaluate", "--model", model, "--data", data, "--report", folder.File("evaluation")],
            ["benchmark", "--model", "movinet-a0", "--clips", "4", "--epochs", "1", "--device", "cpu"],
            ["predict", "--model", model, Path.Combine(data, "left", "000.mp4")],
        ];
        var results = new (int Code, string Output)[exits.Length];
        Parallel.For(0, exits.Length, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => results[i] = Cli(exits[i]));
        for (int i = 0; i < exits.Length; i++)
            AssertExitedCleanly(string.Join(' ', exits[i].Take(3)), results[i].Code, results[i].Output);
        Assert.AreEqual(6, results[0].Output.Split('\n').Count(l => l.Contains(".mp4\t", StringComparison.Ordinal)), results[0].Output);

        var (failed, message) = Cli("train", "--data", folder.File("missing"), "--model", "s3dg", "--device", "cpu");
        Assert.AreEqual(2, failed, message);
        StringAssert.Contains(message, "error: --data: the folder");
    }

    private static void AssertExitedCleanly(string what, int code, string output)
        => Assert.AreEqual(0, code, $"{what}: exit code {code}{(code == 139 ? " (SIGSEGV)" : "")}\n{output}");

    private (int Code, string Output) Cli(params string[] args)
        => ChildProcess.RunDotnet(ChildProcess.BuiltDll("src/Cli", "mlnetvideo"), args, RunTimeout, TestContext.CancellationToken);
}
