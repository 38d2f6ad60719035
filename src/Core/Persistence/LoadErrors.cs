using System.Reflection;

namespace MLNetVideo.Persistence;

/// <summary>ML.NET calls a component's loader by reflection, so a refusal reaches the caller of <c>Model.Load</c> wrapped in a
/// <see cref="TargetInvocationException"/> (and, for ML.NET's own checks, an "Error during class instantiation" wrapper).
/// This finds the real reason.</summary>
public static class LoadErrors
{
    /// <summary>The innermost exception that says why a load failed: reflection and ML.NET wrappers are skipped.</summary>
    /// <param name="exception">What <c>mlContext.Model.Load</c> threw.</param>
    /// <returns>The exception to report (the argument itself when it wraps nothing).</returns>
    public static Exception Unwrap(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var current = exception;
        for (int depth = 0; depth < 32 && current.InnerException is { } inner && IsWrapper(current); depth++)
            current = inner;
        return current;
    }

    private static bool IsWrapper(Exception e) => e switch
    {
        TargetInvocationException => true,
        TypeInitializationException => true,
        AggregateException { InnerExceptions.Count: 1 } => true,
        // ML.NET's ComponentCatalog wraps marked exceptions of a loader in this message.
        InvalidOperationException { Message: "Error during class instantiation" } => true,
        _ => false,
    };
}
