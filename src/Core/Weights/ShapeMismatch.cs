namespace MLNetVideo.Weights;

/// <summary>A network key whose checkpoint tensor has another shape.</summary>
/// <param name="Key">The network's state-dict key.</param>
/// <param name="Expected">The network's shape.</param>
/// <param name="Actual">The checkpoint's shape (after mapping).</param>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> Expected, IReadOnlyList<long> Actual)
{
    /// <summary>For example <c>fc.weight: expected [400, 1024], got [10, 1024]</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => $"{Key}: expected {TensorData.FormatShape(Expected)}, got {TensorData.FormatShape(Actual)}";
}
