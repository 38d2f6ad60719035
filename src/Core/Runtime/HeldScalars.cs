using TorchSharp;

namespace MLNetVideo.Runtime;

/// <summary>
/// Scalars for the per-forward hot paths, used instead of C# numbers. In TorchSharp 0.107 a number passed where a
/// <see cref="Scalar"/> is expected (and <c>a + b</c> of two tensors, whose <c>add</c> passes an implicit alpha of 1)
/// becomes a temporary Scalar that nothing references once its handle is read, so a garbage collection plus finalizer run
/// during the native call can free it mid-call (TorchSharp pull requests #1434 and #1496). Static fields are never
/// collected; a Scalar is immutable, so any thread may use these.
/// </summary>
internal static class HeldScalars
{
    /// <summary>1, the alpha of a plain tensor addition: <c>a.add(b, HeldScalars.One)</c> is <c>a + b</c>.</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>0.</summary>
    public static readonly Scalar Zero = 0L.ToScalar();
}
