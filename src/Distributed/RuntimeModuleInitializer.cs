using System.Runtime.CompilerServices;

namespace MLNetVideo.Distributed;

/// <summary>Puts MLNetVideo's OpenMP wait policy into the native environment when this assembly is first used, before
/// any of its code can load libtorch (see <see cref="MLNetVideo.VideoRuntime"/>).</summary>
internal static class RuntimeModuleInitializer
{
#pragma warning disable CA2255 // A library module initializer is the only hook that runs before the first TorchSharp call.
    [ModuleInitializer]
    internal static void Initialize() => MLNetVideo.VideoRuntime.Configure();
#pragma warning restore CA2255
}
