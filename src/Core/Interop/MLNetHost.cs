using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MLNetVideo.Interop;

/// <summary>
/// Reaches the ML.NET host environment behind a catalog (internal in ML.NET 5.0.1), its seed and
/// its log channel. Pinned to ML.NET 5.0.1 by tests/…/MLNetInterop tests.
/// </summary>
internal static class MLNetHost
{
    /// <summary>The environment (the MLContext) behind a transforms catalog.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <returns>The host environment.</returns>
    public static IHostEnvironment From(TransformsCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return CatalogUtils.GetEnvironment(catalog);
    }

    /// <summary>The environment (the MLContext) behind a multiclass trainers catalog.</summary>
    /// <param name="catalog">The catalog.</param>
    /// <returns>The host environment.</returns>
    public static IHostEnvironment From(MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return CatalogUtils.GetEnvironment(catalog);
    }

    /// <summary>The seed the MLContext was created with, when there was one.</summary>
    /// <param name="environment">The environment, or null.</param>
    /// <returns>The seed, or null.</returns>
    public static int? TryGetSeed(IHostEnvironment? environment)
        => environment is IHostEnvironmentInternal internalEnvironment ? internalEnvironment.Seed : null;

    /// <summary>Whether <c>MLContext.CancelExecution()</c> was called on this environment (ML.NET's internal
    /// <c>ICancelable.IsCanceled</c>); false for environments that cannot be cancelled.</summary>
    /// <param name="environment">The environment, or null.</param>
    /// <returns>True once execution was cancelled.</returns>
    public static bool IsCancelled(IHostEnvironment? environment)
        => environment is ICancelable cancelable && cancelable.IsCanceled;

    /// <summary>Cancels execution on this environment, as <c>MLContext.CancelExecution()</c> does in ML.NET versions that make it
    /// public: every MLNetVideo trainer stops within one batch and every <c>LoadVideoFrames</c> decoder stops, each throwing
    /// <see cref="OperationCanceledException"/>. The flag stays set: use a new MLContext for further work.</summary>
    /// <param name="environment">The environment (an MLContext, or the host behind a catalog).</param>
    /// <exception cref="NotSupportedException">The environment cannot be cancelled.</exception>
    public static void CancelExecution(IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (environment is not ICancelable cancelable)
            throw new NotSupportedException($"The ML.NET environment {environment.GetType().Name} cannot be cancelled.");
        cancelable.CancelExecution();
    }

    /// <summary>Writes a trace line (progress detail, <c>ChannelMessageKind.Trace</c>) to ML.NET's log.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="source">The component name shown as the message source.</param>
    /// <param name="message">The message.</param>
    public static void LogTrace(IHostEnvironment environment, string source, string message)
    {
        using var channel = environment.Start(source);
        channel.Trace(MessageSensitivity.None, message);
    }

    /// <summary>Writes an informational line to ML.NET's log (what <c>MLContext.Log</c> subscribers see).</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="source">The component name shown as the message source.</param>
    /// <param name="message">The message.</param>
    public static void LogInfo(IHostEnvironment environment, string source, string message)
    {
        using var channel = environment.Start(source);
        channel.Info(MessageSensitivity.None, message);
    }

    /// <summary>Writes a warning to ML.NET's log.</summary>
    /// <param name="environment">The environment.</param>
    /// <param name="source">The component name shown as the message source.</param>
    /// <param name="message">The message.</param>
    public static void LogWarning(IHostEnvironment environment, string source, string message)
    {
        using var channel = environment.Start(source);
        channel.Warning(MessageSensitivity.None, message);
    }
}
