using MLNetVideo.Cli;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>Runs the mlnetvideo command line in process and captures what it prints.</summary>
internal static class CliRun
{
    public static (int Code, string Out, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
