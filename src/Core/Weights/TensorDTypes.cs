using TorchSharp;

namespace MLNetVideo.Weights;

/// <summary>Sizes and name conversions for <see cref="TensorDType"/>.</summary>
public static class TensorDTypes
{
    private static readonly TensorDType[] All = Enum.GetValues<TensorDType>();

    /// <summary>The safetensors names of every supported type, for error messages.</summary>
    public static string SupportedSafeTensorsNames => string.Join(", ", All.Select(SafeTensorsName));

    /// <summary>Bytes per element.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>8, 4, 2 or 1.</returns>
    public static int ItemSize(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 or TensorDType.Int64 => 8,
        TensorDType.Float32 or TensorDType.Int32 => 4,
        TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Int16 => 2,
        TensorDType.Int8 or TensorDType.UInt8 or TensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"Unknown tensor element type {dtype}."),
    };

    /// <summary>Whether the type holds floating-point values.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns><see langword="true"/> for F64, F32, F16 and BF16.</returns>
    public static bool IsFloatingPoint(this TensorDType dtype)
        => dtype is TensorDType.Float64 or TensorDType.Float32 or TensorDType.Float16 or TensorDType.BFloat16;

    /// <summary>The name used in a safetensors header.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>For example <c>F32</c> or <c>BOOL</c>.</returns>
    public static string SafeTensorsName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 => "F64",
        TensorDType.Float32 => "F32",
        TensorDType.Float16 => "F16",
        TensorDType.BFloat16 => "BF16",
        TensorDType.Int64 => "I64",
        TensorDType.Int32 => "I32",
        TensorDType.Int16 => "I16",
        TensorDType.Int8 => "I8",
        TensorDType.UInt8 => "U8",
        TensorDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"Unknown tensor element type {dtype}."),
    };

    /// <summary>Parses a safetensors dtype name (case-sensitive, as the format defines it).</summary>
    /// <param name="name">The header's <c>dtype</c> value.</param>
    /// <param name="dtype">The element type when the name is supported.</param>
    /// <returns><see langword="true"/> when <paramref name="name"/> is one of the supported names.</returns>
    public static bool TryParseSafeTensorsName(string name, out TensorDType dtype)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.SafeTensorsName(), name, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }

    /// <summary>The matching TorchSharp scalar type.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The TorchSharp type with the same layout.</returns>
    public static torch.ScalarType ToScalarType(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 => torch.ScalarType.Float64,
        TensorDType.Float32 => torch.ScalarType.Float32,
        TensorDType.Float16 => torch.ScalarType.Float16,
        TensorDType.BFloat16 => torch.ScalarType.BFloat16,
        TensorDType.Int64 => torch.ScalarType.Int64,
        TensorDType.Int32 => torch.ScalarType.Int32,
        TensorDType.Int16 => torch.ScalarType.Int16,
        TensorDType.Int8 => torch.ScalarType.Int8,
        TensorDType.UInt8 => torch.ScalarType.Byte,
        TensorDType.Bool => torch.ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, $"Unknown tensor element type {dtype}."),
    };

    /// <summary>The element type matching a TorchSharp scalar type.</summary>
    /// <param name="scalarType">The TorchSharp type.</param>
    /// <returns>The matching element type.</returns>
    /// <exception cref="NotSupportedException">The type (complex, quantized, ...) has no safetensors counterpart here.</exception>
    public static TensorDType FromScalarType(torch.ScalarType scalarType) => scalarType switch
    {
        torch.ScalarType.Float64 => TensorDType.Float64,
        torch.ScalarType.Float32 => TensorDType.Float32,
        torch.ScalarType.Float16 => TensorDType.Float16,
        torch.ScalarType.BFloat16 => TensorDType.BFloat16,
        torch.ScalarType.Int64 => TensorDType.Int64,
        torch.ScalarType.Int32 => TensorDType.Int32,
        torch.ScalarType.Int16 => TensorDType.Int16,
        torch.ScalarType.Int8 => TensorDType.Int8,
        torch.ScalarType.Byte => TensorDType.UInt8,
        torch.ScalarType.Bool => TensorDType.Bool,
        _ => throw new NotSupportedException(
            $"Tensors of type {scalarType} cannot be stored as weights; supported types are {SupportedSafeTensorsNames}."),
    };
}
