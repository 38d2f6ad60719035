using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.TestSupport;

/// <summary>
/// Runs a module's forward over and over while a background thread forces full collections and finalizer runs, so that
/// any temporary TorchSharp object (an implicit <see cref="Scalar"/>) that is unreachable during a native call gets freed
/// mid-call. Shared by the CI test and <c>ReliabilityBenchmarks bnstress</c>.
/// </summary>
internal static class FinalizerPressure
{
    /// <summary>The outcome: forward calls made, how many threw, the first error, and the collections forced meanwhile.</summary>
    public readonly record struct Outcome(long Calls, int Failures, string? FirstError, long Collections);

    /// <summary>Calls <paramref name="forward"/> on <paramref name="input"/> for <paramref name="duration"/> (without
    /// autograd, each call in its own dispose scope) while collections and finalizers are forced.</summary>
    public static Outcome Run(Func<Tensor, Tensor> forward, Tensor input, TimeSpan duration)
    {
        long collections = 0;
        bool stop = false;
        var collector = new Thread(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }) { IsBackground = true, Name = "finalizer pressure" };
        long calls = 0;
        int failures = 0;
        string? first = null;
        using (no_grad())
        {
            collector.Start();
            try
            {
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < duration)
                {
                    using var scope = NewDisposeScope();
                    try
                    {
                        forward(input);
                    }
                    catch (Exception e)
                    {
                        failures++;
                        first ??= $"{e.GetType().Name}: {e.Message.Split('\n')[0]}";
                    }
                    calls++;
                }
            }
            finally
            {
                Volatile.Write(ref stop, true);
                collector.Join();
            }
        }
        return new Outcome(calls, failures, first, collections);
    }
}
