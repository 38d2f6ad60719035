using MLNetVideo.Reporting;

namespace MLNetVideo.Cli;

/// <summary>Where a command writes; the console by default, a string writer in tests.</summary>
internal sealed record CliOutput(TextWriter Out, TextWriter Error, bool Interactive, CancellationToken Cancellation = default)
{
    /// <summary>Cancels <paramref name="mlContext"/>'s execution when the run is cancelled (Ctrl+C); dispose to stop watching.</summary>
    public CancellationTokenRegistration CancelOnInterrupt(Microsoft.ML.MLContext mlContext)
        => Cancellation.Register(() => MLNetVideo.MLContextCancellation.CancelExecution(mlContext));

    public ConsoleProgress Progress(string label, string unit) => new(label, unit, Out, Interactive);
}
