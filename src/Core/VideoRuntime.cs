using System.Globalization;
using MLNetVideo.Runtime;
using TorchSharp;

namespace MLNetVideo;

/// <summary>
/// Process-wide CPU settings of MLNetVideo's torch networks: how many threads one operation may use and how idle
/// OpenMP threads wait.
/// </summary>
/// <remarks>
/// <para><b>Wait policy.</b> libtorch's OpenMP threads spin while they wait for work by default. On a machine where
/// anything else runs, the spinning threads take the cores the working ones need, and a network can run many times
/// slower than with one thread (see BENCHMARKS.md, "Threads and the OpenMP wait policy"). MLNetVideo therefore puts
/// <c>OMP_WAIT_POLICY=PASSIVE</c> into the process's native environment before libtorch loads — unless the variable is
/// already set, in which case the user's value stands. OpenMP reads it once, when libtorch loads, so it is applied
/// when any MLNetVideo assembly is first used (a module initializer). Code that calls TorchSharp itself before touching
/// any MLNetVideo type should call <see cref="Configure"/> first, or set the variable before starting the process.</para>
/// <para><b>Threads.</b> <see cref="Threads"/> is the torch intra-op thread count (<c>torch.set_num_threads</c>),
/// applied when MLNetVideo first resolves a device and at once when set later. Its default comes from the
/// <c>MLNETVIDEO_THREADS</c> environment variable, else <c>OMP_NUM_THREADS</c>, else
/// <see cref="Environment.ProcessorCount"/> (the cores this process may use, cgroup and affinity limits included).</para>
/// </remarks>
public static class VideoRuntime
{
    /// <summary>Environment variable with the default torch thread count (a positive integer; 0 or "auto" = the default).</summary>
    public const string ThreadsVariable = "MLNETVIDEO_THREADS";

    /// <summary>The OpenMP variable MLNetVideo sets to <c>PASSIVE</c> when the user has not set it.</summary>
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";

    private static readonly object Gate = new();
    private static int? _threads;
    private static bool _nativeEnvironmentApplied;
    private static volatile bool _torchApplied;

    /// <summary>Torch intra-op threads for every MLNetVideo network in this process (at least 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    /// <exception cref="InvalidOperationException">Read while <c>MLNETVIDEO_THREADS</c> holds something that is not a
    /// thread count.</exception>
    public static int Threads
    {
        get
        {
            lock (Gate)
                return _threads ??= DefaultThreads();
        }
        set
        {
            if (value < 1)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"{nameof(Threads)} must be at least 1.");
            lock (Gate)
            {
                _threads = value;
                if (_torchApplied)
                    torch.set_num_threads(value);
            }
        }
    }

    /// <summary>The OpenMP wait policy libtorch sees in this process (from the native environment), or null if unset.</summary>
    public static string? WaitPolicy => NativeEnvironment.Get(WaitPolicyVariable);

    /// <summary>
    /// Applies the wait policy to the native environment (if the user has not set one) and, optionally, the thread count.
    /// Call it first thing in a program that uses TorchSharp directly before any MLNetVideo type; MLNetVideo's
    /// components do the same on their own.
    /// </summary>
    /// <param name="threads">The torch thread count; null keeps the current <see cref="Threads"/>.</param>
    public static void Configure(int? threads = null)
    {
        ApplyNativeEnvironment();
        if (threads is int count)
            Threads = count;
    }

    /// <summary>Puts the wait policy (and a thread-count hint for OpenMP) into the native environment, once. Never throws:
    /// it runs from module initializers.</summary>
    internal static void ApplyNativeEnvironment()
    {
        lock (Gate)
        {
            if (_nativeEnvironmentApplied)
                return;
            _nativeEnvironmentApplied = true;
            NativeEnvironment.SetIfUnset(WaitPolicyVariable, "PASSIVE");
            // OpenMP sizes its first thread team from OMP_NUM_THREADS, so a pool of the right size exists even when
            // TorchSharp is first used outside MLNetVideo; torch.set_num_threads follows at the first device resolution.
            if (TryParseThreads(Environment.GetEnvironmentVariable(ThreadsVariable), out int requested) && requested > 0)
                NativeEnvironment.SetIfUnset("OMP_NUM_THREADS", requested.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Applies <see cref="Threads"/> to torch, once per process (called where MLNetVideo first uses torch).</summary>
    internal static void ApplyToTorch()
    {
        if (_torchApplied)
            return;
        ApplyNativeEnvironment();
        int threads = Threads;
        lock (Gate)
        {
            if (_torchApplied)
                return;
            torch.set_num_threads(threads);
            _torchApplied = true;
        }
    }

    private static int DefaultThreads()
    {
        string? text = Environment.GetEnvironmentVariable(ThreadsVariable);
        if (!TryParseThreads(text, out int requested))
            throw new InvalidOperationException(
                $"The environment variable {ThreadsVariable} is \"{text}\"; it must be a positive whole number of threads, or 0 / \"auto\" for the default.");
        if (requested > 0)
            return requested;
        string? openMp = NativeEnvironment.Get("OMP_NUM_THREADS");
        if (int.TryParse(openMp, NumberStyles.None, CultureInfo.InvariantCulture, out int omp) && omp > 0)
            return omp;
        return Math.Max(1, Environment.ProcessorCount);
    }

    /// <summary>Parses the variable: null/empty/"0"/"auto" → 0 (use the default), a positive integer → itself.</summary>
    private static bool TryParseThreads(string? text, out int threads)
    {
        threads = 0;
        if (string.IsNullOrWhiteSpace(text) || string.Equals(text.Trim(), "auto", StringComparison.OrdinalIgnoreCase))
            return true;
        return int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out threads);
    }
}
