namespace MLNetVideo.Weights;

/// <summary>One tensor described by a safetensors header, validated but not yet read.</summary>
/// <param name="Name">The tensor's name (the state-dict key).</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The dimensions.</param>
/// <param name="Begin">Offset of the first byte, relative to the start of the data area.</param>
/// <param name="End">Offset one past the last byte, relative to the start of the data area.</param>
public sealed record SafeTensorsEntry(string Name, TensorDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Size of the tensor's data in bytes.</summary>
    public long ByteCount => End - Begin;

    /// <summary>The name, type and shape, for example <c>lin1.weight F32 [2, 5]</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => $"{Name} {DType.SafeTensorsName()} {TensorData.FormatShape(Shape)}";
}
