namespace MLNetVideo.Runtime;

/// <summary>
/// A provider in an assembly that may or may not be deployed beside ours (for example the ONNX Runtime session providers
/// in MLNetVideo.Featurizers.Onnx, which MLNetVideo.Trainers and MLNetVideo.Featurizers do not reference): its static
/// <c>Register()</c> is called once, the first time anyone asks. The type name is a constant of ours, never a name read
/// from a model zip or any other file.
/// </summary>
internal sealed class OptionalProvider(string assemblyQualifiedTypeName)
{
    private readonly object _gate = new();
    private bool _looked;

    /// <summary>Registers the provider the first time this is called; later calls do nothing. A missing assembly, or a
    /// provider whose native library is missing or broken, leaves nothing registered (the callers then fall back).</summary>
    public void RegisterOnce()
    {
        lock (_gate)
        {
            if (_looked)
                return;
            _looked = true;
            try
            {
                Type.GetType(assemblyQualifiedTypeName, throwOnError: false)?.GetMethod("Register")?.Invoke(null, null);
            }
            catch (Exception e) when (e is System.Reflection.TargetInvocationException or FileLoadException or BadImageFormatException or TypeLoadException)
            {
                // Not usable here: the callers stay on TorchSharp.
            }
        }
    }
}
