using Microsoft.ML;
using MLNetVideo.Interop;

namespace MLNetVideo;

/// <summary>Stops work under way on an <see cref="MLContext"/> (ML.NET 5 keeps its own cancellation internal).</summary>
public static class MLContextCancellation
{
    /// <summary>
    /// Cancels execution on <paramref name="mlContext"/>: a training <c>Fit</c> of an MLNetVideo trainer stops within one
    /// batch, and <c>LoadVideoFrames</c> stops its running decoder; both surface as <see cref="OperationCanceledException"/>.
    /// Safe to call from another thread (for example a Ctrl+C handler). The context stays cancelled: create a new one to go on.
    /// </summary>
    /// <param name="mlContext">The context whose work to stop.</param>
    public static void CancelExecution(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        MLNetHost.CancelExecution(MLNetHost.From(mlContext.Transforms));
    }

    /// <summary>Whether <see cref="CancelExecution"/> was called on <paramref name="mlContext"/>.</summary>
    /// <param name="mlContext">The context.</param>
    /// <returns>True once cancelled.</returns>
    public static bool IsCancellationRequested(this MLContext mlContext)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        return MLNetHost.IsCancelled(MLNetHost.From(mlContext.Transforms));
    }
}
