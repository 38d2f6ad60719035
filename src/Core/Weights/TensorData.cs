using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace MLNetVideo.Weights;

/// <summary>
/// One tensor as plain data: element type, shape and the row-major, little-endian bytes. Weight readers return these so
/// that nothing native is allocated until a caller asks for a TorchSharp tensor with <see cref="ToTensor"/>.
/// </summary>
/// <remarks>Instances are immutable. A tensor is limited to <see cref="Array.MaxLength"/> bytes (about 2 GiB), which
/// covers every weight of the networks MLNetVideo imports.</remarks>
public sealed class TensorData
{
    private readonly long[] _shape;

    /// <summary>Creates a tensor from its element type, shape and bytes.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">Dimensions, each zero or positive; an empty shape is a scalar.</param>
    /// <param name="bytes">Row-major, little-endian data; its length must be the element count times the item size.</param>
    /// <exception cref="ArgumentException">A dimension is negative, or the byte count does not match the shape.</exception>
    public TensorData(TensorDType dtype, IReadOnlyList<long> shape, ReadOnlyMemory<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(shape);
        _ = dtype.ItemSize();
        _shape = shape.ToArray();
        if (!TryGetByteCount(dtype, _shape, out long expected))
            throw new ArgumentException(
                $"Shape {FormatShape(_shape)} is invalid for {dtype.SafeTensorsName()}: dimensions must be zero or positive and the size must fit in 64 bits.",
                nameof(shape));
        if (expected != bytes.Length)
            throw new ArgumentException(
                $"A {dtype.SafeTensorsName()} tensor of shape {FormatShape(_shape)} needs {expected} bytes; got {bytes.Length}.",
                nameof(bytes));
        DType = dtype;
        Bytes = bytes;
    }

    /// <summary>The element type.</summary>
    public TensorDType DType { get; }

    /// <summary>The dimensions (a copy is kept, so later changes to the caller's array have no effect).</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>The row-major, little-endian bytes.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Bytes.Length / DType.ItemSize();

    /// <summary>Creates a CPU TorchSharp tensor holding a copy of the data.</summary>
    /// <returns>A new tensor; the caller owns it and should dispose it.</returns>
    public torch.Tensor ToTensor()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Weight tensors are little-endian; this process runs on a big-endian machine.");
        var tensor = torch.empty(_shape, dtype: DType.ToScalarType(), device: torch.CPU);
        if (Bytes.Length > 0)
            tensor.bytes = MemoryMarshal.AsMemory(Bytes).Span;   // the setter only reads: it copies into the tensor
        return tensor;
    }

    /// <summary>Copies a TorchSharp tensor (any device, any layout) into plain data.</summary>
    /// <param name="tensor">The tensor to copy; it is not disposed or changed.</param>
    /// <returns>The tensor's element type, shape and bytes.</returns>
    /// <exception cref="NotSupportedException">The tensor's type has no <see cref="TensorDType"/> counterpart.</exception>
    public static TensorData FromTensor(torch.Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var dtype = TensorDTypes.FromScalarType(tensor.dtype);
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        byte[] bytes = cpu.numel() == 0 ? [] : cpu.bytes.ToArray();
        return new TensorData(dtype, tensor.shape, bytes);
    }

    /// <summary>A tensor filled with zeros, for example a bias that a checkpoint does not have.</summary>
    /// <param name="dtype">The element type.</param>
    /// <param name="shape">The dimensions.</param>
    /// <returns>The zero tensor.</returns>
    public static TensorData Zeros(TensorDType dtype, params long[] shape)
    {
        if (!TryGetByteCount(dtype, shape, out long bytes) || bytes > Array.MaxLength)
            throw new ArgumentException($"Shape {FormatShape(shape)} is invalid or too large for a {dtype.SafeTensorsName()} tensor.", nameof(shape));
        return new TensorData(dtype, shape, new byte[bytes]);
    }

    /// <summary>Copies the elements into a managed array of a same-sized type.</summary>
    /// <typeparam name="T">An element type with the same size as <see cref="DType"/>, for example <see cref="float"/> for F32,
    /// <see cref="Half"/> for F16, <see cref="ushort"/> for BF16, <see cref="long"/> for I64 or <see cref="bool"/> for BOOL.</typeparam>
    /// <returns>The elements in row-major order.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> has a different size.</exception>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (Unsafe.SizeOf<T>() != DType.ItemSize())
            throw new InvalidOperationException(
                $"Cannot read {DType.SafeTensorsName()} elements ({DType.ItemSize()} bytes) as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(Bytes.Span).ToArray();
    }

    /// <summary>The same data under another shape with the same element count (no copy).</summary>
    /// <param name="shape">The new dimensions.</param>
    /// <returns>A tensor sharing this tensor's bytes.</returns>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public TensorData Reshape(params long[] shape) => new(DType, shape, Bytes);

    /// <summary>Splits the tensor into equal parts along one dimension, like PyTorch's <c>chunk</c> when the size divides evenly.</summary>
    /// <param name="parts">Number of parts; must divide the size of <paramref name="dim"/>.</param>
    /// <param name="dim">The dimension to split (negative counts from the end).</param>
    /// <returns>The parts, in order.</returns>
    /// <exception cref="ArgumentException">The dimension does not exist or its size is not a multiple of <paramref name="parts"/>.</exception>
    public TensorData[] Chunk(int parts, int dim = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parts);
        int d = dim < 0 ? dim + _shape.Length : dim;
        if (d < 0 || d >= _shape.Length)
            throw new ArgumentException($"Cannot split a tensor of shape {FormatShape(_shape)} along dimension {dim}.", nameof(dim));
        if (_shape[d] % parts != 0)
            throw new ArgumentException(
                $"Cannot split dimension {dim} of size {_shape[d]} (shape {FormatShape(_shape)}) into {parts} equal parts.", nameof(parts));
        long outer = 1;
        for (int i = 0; i < d; i++) outer *= _shape[i];
        long inner = DType.ItemSize();
        for (int i = d + 1; i < _shape.Length; i++) inner *= _shape[i];
        long partRows = _shape[d] / parts;
        int block = checked((int)(partRows * inner));
        var partShape = (long[])_shape.Clone();
        partShape[d] = partRows;
        var source = Bytes.Span;
        var result = new TensorData[parts];
        for (int p = 0; p < parts; p++)
        {
            var buffer = new byte[checked(outer * block)];
            for (long o = 0; o < outer; o++)
                source.Slice(checked((int)((o * parts + p) * block)), block).CopyTo(buffer.AsSpan((int)(o * block), block));
            result[p] = new TensorData(DType, partShape, buffer);
        }
        return result;
    }

    /// <summary>Whether both tensors have the same type, shape and bit-identical bytes (NaN payloads included).</summary>
    /// <param name="other">The tensor to compare with.</param>
    /// <returns><see langword="true"/> when they are identical.</returns>
    public bool ContentEquals(TensorData other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return DType == other.DType && _shape.AsSpan().SequenceEqual(other._shape) && Bytes.Span.SequenceEqual(other.Bytes.Span);
    }

    /// <summary>The type and shape, for example <c>F32 [2, 5]</c>.</summary>
    /// <returns>A short description.</returns>
    public override string ToString() => $"{DType.SafeTensorsName()} {FormatShape(_shape)}";

    /// <summary>Formats a shape as <c>[2, 5]</c>.</summary>
    internal static string FormatShape(IReadOnlyList<long> shape)
        => "[" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>Element count times item size, with overflow and negative dimensions reported as failure.</summary>
    internal static bool TryGetByteCount(TensorDType dtype, IReadOnlyList<long> shape, out long byteCount)
    {
        long count = dtype.ItemSize();
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                byteCount = 0;
                return false;
            }
            if (dim != 0 && count > long.MaxValue / dim)
            {
                // Overflow unless a later dimension is zero; a zero-sized tensor with a huge dimension is still refused.
                byteCount = 0;
                return false;
            }
            count *= dim;
        }
        byteCount = count;
        return true;
    }
}
