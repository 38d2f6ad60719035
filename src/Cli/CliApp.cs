using System.CommandLine;
using MLNetVideo.Cli.Commands;

namespace MLNetVideo.Cli;

/// <summary>Builds the command tree and runs it. Exit codes: 0 success, 1 bad command line, 2 bad input (missing
/// folder, unknown model, unreadable zip, undecodable video), 3 an unexpected failure, 130 cancelled (Ctrl+C).</summary>
internal static class CliApp
{
    public const int Success = 0;
    public const int UsageError = 1;
    public const int InputError = 2;
    public const int Failure = 3;
    public const int Cancelled = 130;

    /// <summary>Runs a command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="output">Standard output; default the console (then Ctrl+C cancels the run cleanly).</param>
    /// <param name="error">Standard error; default the console.</param>
    /// <param name="cancellation">Cancels the run as Ctrl+C does (tests).</param>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellation = default)
    {
        using var interrupt = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler? onCtrlC = null;
        if (output is null)
        {
            // The first Ctrl+C stops training or decoding within one batch (nothing is saved, the previous model stays); a
            // second one ends the process at once.
            onCtrlC = (_, e) =>
            {
                if (interrupt.IsCancellationRequested) return;
                e.Cancel = true;
                interrupt.Cancel();
            };
            Console.CancelKeyPress += onCtrlC;
        }
        try
        {
            return Run(args, new CliOutput(output ?? Console.Out, error ?? Console.Error, output is null && !Console.IsOutputRedirected, interrupt.Token));
        }
        finally
        {
            if (onCtrlC is not null) Console.CancelKeyPress -= onCtrlC;
        }
    }

    private static int Run(string[] args, CliOutput io)
    {
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
        catch (Exception e) when (io.Cancellation.IsCancellationRequested || IsCancellation(e))
        {
            io.Error.WriteLine("error: cancelled; nothing was saved (a previous model file is unchanged).");
            return Cancelled;
        }
        catch (Exception e)
        {
            var user = Unwrap(e);
            if (user is MLNetVideo.Transforms.Decoding.VideoDecodingException decoding)
            {
                io.Error.WriteLine($"error: {Describe(decoding)}");
                return InputError;
            }
            if (user is CliException or MLNetVideo.Transforms.Decoding.VideoDecodingException || user is InvalidDataException)
            {
                io.Error.WriteLine($"error: {user.Message}");
                return InputError;
            }
            io.Error.WriteLine($"error: {e.GetType().Name}: {e.Message}");
            io.Error.WriteLine(e.StackTrace);
            return Failure;
        }
    }

    /// <summary>A decoding failure in the user's terms: the file, the kind of failure and the decoder's reason (the row index
    /// is an internal position that differs between tools for the same file).</summary>
    internal static string Describe(MLNetVideo.Transforms.Decoding.VideoDecodingException e)
        => $"could not decode '{e.VideoPath}' ({e.Failure}): {e.Reason}";

    /// <summary>The decoding failure inside <paramref name="e"/> (however wrapped), or null.</summary>
    internal static MLNetVideo.Transforms.Decoding.VideoDecodingException? DecodingFailure(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current is MLNetVideo.Transforms.Decoding.VideoDecodingException decoding) return decoding;
        return null;
    }

    private static bool IsCancellation(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
        {
            if (current is MLNetVideo.Transforms.Decoding.VideoDecodingException) return false;   // a decoder's own time-out
            if (current is OperationCanceledException) return true;
        }
        return false;
    }

    private static Exception Unwrap(Exception e)
    {
        for (var current = e; current is not null; current = current.InnerException)
            if (current is CliException or MLNetVideo.Transforms.Decoding.VideoDecodingException) return current;
        // A refusal that ML.NET wrapped on its way out (it calls loaders by reflection) is still the user's input.
        return MLNetVideo.Persistence.LoadErrors.Unwrap(e);
    }
}
