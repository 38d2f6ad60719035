namespace MLNetVideo.Weights;

/// <summary>A network key whose checkpoint tensor has an element type that cannot be converted.</summary>
/// <param name="Key">The network's state-dict key.</param>
/// <param name="Expected">The network's type.</param>
/// <param name="Actual">The checkpoint's type.</param>
public sealed record DTypeMismatch(string Key, TensorDType Expected, TensorDType Actual)
{
    /// <summary>For example <c>counter: expected I64, got F32</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => $"{Key}: expected {Expected.SafeTensorsName()}, got {Actual.SafeTensorsName()}";
}
