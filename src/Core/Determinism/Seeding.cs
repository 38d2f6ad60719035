using Microsoft.ML.Runtime;
using TorchSharp;

namespace MLNetVideo.Determinism;

/// <summary>The one place that seeds TorchSharp and creates seeded <see cref="Random"/> streams.</summary>
internal static class Seeding
{
    /// <summary>The seed used when neither the options nor the MLContext give one (as ML.NET's own TorchSharp trainers do).</summary>
    public const int DefaultSeed = 1;

    /// <summary>The seed to use: the option's value, else the MLContext's seed, else <see cref="DefaultSeed"/>.</summary>
    /// <param name="seed">The component's <c>Seed</c> option.</param>
    /// <param name="environment">The host environment (an MLContext), or null.</param>
    /// <returns>The effective seed.</returns>
    public static int Resolve(int? seed, IHostEnvironment? environment)
        => seed ?? Interop.MLNetHost.TryGetSeed(environment) ?? DefaultSeed;

    /// <summary>Seeds torch (and CUDA when present) with <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    public static void ApplyToTorch(int seed)
    {
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
            torch.cuda.manual_seed_all(seed);
    }

    /// <summary>A <see cref="Random"/> for one purpose, derived from <paramref name="seed"/> by fixed arithmetic
    /// (never <see cref="HashCode"/>, whose seed changes per process).</summary>
    /// <param name="seed">The component seed.</param>
    /// <param name="stream">Which stream.</param>
    /// <param name="index">A further index, for example the epoch.</param>
    /// <returns>A new generator.</returns>
    public static Random CreateRandom(int seed, RandomStream stream, int index = 0)
        => new(unchecked((seed * 1_000_003) + ((int)stream * 7_919) + (index * 104_729)));
}
