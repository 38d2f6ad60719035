using System.CommandLine;
using MLNetVideo.Cli.Commands;
using MLNetVideo.Reporting;

namespace MLNetVideo.Cli;

/// <summary>Where a command writes; the console by default, a string writer in tests.</summary>
internal sealed record CliOutput(TextWriter Out, TextWriter Error, bool Interactive)
{
    public ConsoleProgress Progress(string label, string unit) => new(label, unit, Out, Interactive);
}

/// <summary>Builds the command tree and runs it. Exit codes: 0 success, 1 bad command line, 2 bad input (missing
/// folder, unknown model, unreadable zip, undecodable video), 3 an unexpected failure.</summary>
internal static class CliApp
{
    public const int Success = 0;
    public const int UsageError = 1;
    public const int InputError = 2;
    public const int Failure = 3;

    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var io = new CliOutput(output ?? Console.Out, error ?? Console.Error, output is null && !Console.IsOutputRedirected);
        var root = new RootCommand("""
            mlnetvideo: video action recognition with ML.NET (MLNetVideo).
            Quick start:
              mlnetvideo sample-data --output out/sample-data
              mlnetvideo train --data out/sample-data --model s3dg --output out/model.zip
            """);
        root.Subcommands.Add(SampleDataCommand.Create(io));
        root.Subcommands.Add(TrainCommand.Create(io));
        root.Subcommands.Add(EvaluateCommand.Create(io));
        root.Subcommands.Add(PredictCommand.Create(io));
        root.Subcommands.Add(StreamCommand.Create(io));
        root.Subcommands.Add(BenchmarkCommand.Create(io));
        root.Subcommands.Add(ClusterCommand.Create(io));
        var parse = root.Parse(args);
        var configuration = new InvocationConfiguration { Output = io.Out, Error = io.Error, EnableDefaultExceptionHandler = false };
        try
        {
            return parse.Invoke(configuration);
        }
        catch (Exception e)
        {
            var user = Unwrap(e);
            if (user is CliException or MLNetVideo.Transforms.Decoding.VideoDecodingException)
            {
                io.Error.WriteLine($"error: {user.Message}");
                return InputError;
            }
            io.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            io.Error.WriteLine(e.StackTrace);
            return Failure;
        }
    }

    private static Exception Unwrap(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current is CliException or MLNetVideo.Transforms.Decoding.VideoDecodingException) return current;
        return e;
    }
}
