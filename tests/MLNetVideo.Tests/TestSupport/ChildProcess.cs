using System.Diagnostics;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>Runs a program of this repository (the CLI, an example, a test host) with <c>dotnet</c> in a child process, as a
/// user would: built by the solution build next to the tests, killed with its children when it overruns or the test is
/// cancelled (a test's cooperative <c>[Timeout]</c>).</summary>
internal static class ChildProcess
{
    /// <summary>The repository root (tests/MLNetVideo.Tests/bin/&lt;Configuration&gt;/net10.0/ is five levels below it).</summary>
    public static string RepositoryRoot => OutputFolder.Parent!.Parent!.Parent!.Parent!.Parent!.FullName;

    private static DirectoryInfo OutputFolder => new(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));

    /// <summary>The built assembly of a project of the repository, in the same configuration and framework as the tests.</summary>
    /// <param name="projectFolder">The project's folder relative to the repository root, for example "src/Cli".</param>
    /// <param name="assemblyName">Its assembly name, for example "mlnetvideo".</param>
    /// <returns>The path of the dll; the test fails when it was not built.</returns>
    public static string BuiltDll(string projectFolder, string assemblyName)
    {
        var output = OutputFolder;
        string dll = Path.Combine(RepositoryRoot, projectFolder, "bin", output.Parent!.Name, output.Name, assemblyName + ".dll");
        Assert.IsTrue(File.Exists(dll), $"{assemblyName} is not built at {dll}");
        return dll;
    }

    /// <summary>Runs <c>dotnet DLL ARGS</c> to its end and returns the exit code and the output (standard output, then error).</summary>
    /// <param name="dll">The assembly to run.</param>
    /// <param name="args">Its arguments.</param>
    /// <param name="timeout">How long it may run; the test fails after that, the process tree killed.</param>
    /// <param name="cancellation">Kills the process tree and fails the test (pass <c>TestContext.CancellationToken</c>).</param>
    /// <param name="workingDirectory">The working directory; default the test's.</param>
    /// <param name="environment">Environment variables set for the child.</param>
    /// <returns>The exit code and the output.</returns>
    public static (int Code, string Output) RunDotnet(string dll, IEnumerable<string> args, TimeSpan timeout,
        CancellationToken cancellation = default, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        bool exited;
        try
        {
            exited = process.WaitForExitAsync(cancellation).Wait(timeout);
        }
        catch (AggregateException e) when (e.InnerException is OperationCanceledException)
        {
            exited = false;
        }
        if (!exited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{Path.GetFileName(dll)} {string.Join(' ', args)} did not finish {(cancellation.IsCancellationRequested ? "before the test was cancelled" : $"within {timeout}")}:\n{stdout.Result}{stderr.Result}");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
