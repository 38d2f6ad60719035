using System.Runtime.InteropServices;

namespace MLNetVideo.Cli;

/// <summary>
/// Ends the mlnetvideo process once every output is written, without the native teardown that sometimes crashed it
/// (SIGSEGV, exit 139, after training had saved everything): at exit, libtorch's C++ static destructors and its OpenMP and
/// intra-op thread pools were torn down while the .NET runtime could still be finalizing TorchSharp tensors and SkiaSharp
/// surfaces on its finalizer thread. By the time <see cref="Exit"/> runs, the command has disposed its models and closed every
/// file; the console is flushed, and the process ends with its exit code through <c>_exit</c>, which runs neither atexit
/// handlers nor static destructors. Only the command-line entry point uses this; the library never ends a process.
/// </summary>
internal static class ProcessExit
{
    /// <summary>Flushes the console and ends the process with <paramref name="code"/> (on Linux); elsewhere returns it.</summary>
    public static int Exit(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsLinux())
            ExitNow(code);
        return code;
    }

    [DllImport("libc.so.6", EntryPoint = "_exit")]
    private static extern void ExitNow(int status);
}
