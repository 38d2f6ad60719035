using System.Runtime.CompilerServices;

namespace MLNetVideo.Runtime;

/// <summary>Applies the native environment when the assembly is first used, before any of its code can load libtorch.</summary>
internal static class CoreModuleInitializer
{
#pragma warning disable CA2255 // A library module initializer is the only hook that runs before the first TorchSharp call.
    [ModuleInitializer]
    internal static void Initialize() => VideoRuntime.ApplyNativeEnvironment();
#pragma warning restore CA2255
}
