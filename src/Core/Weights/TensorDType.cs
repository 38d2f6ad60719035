namespace MLNetVideo.Weights;

/// <summary>Element types that MLNetVideo's weight readers and writers understand.</summary>
/// <remarks>Values are stored little-endian. The names in the safetensors header are F64, F32, F16, BF16, I64, I32,
/// I16, I8, U8 and BOOL.</remarks>
public enum TensorDType
{
    /// <summary>64-bit IEEE float (safetensors <c>F64</c>, <c>torch.float64</c>).</summary>
    Float64,

    /// <summary>32-bit IEEE float (safetensors <c>F32</c>, <c>torch.float32</c>).</summary>
    Float32,

    /// <summary>16-bit IEEE float (safetensors <c>F16</c>, <c>torch.float16</c>).</summary>
    Float16,

    /// <summary>bfloat16 (safetensors <c>BF16</c>, <c>torch.bfloat16</c>).</summary>
    BFloat16,

    /// <summary>64-bit signed integer (safetensors <c>I64</c>, <c>torch.int64</c>).</summary>
    Int64,

    /// <summary>32-bit signed integer (safetensors <c>I32</c>, <c>torch.int32</c>).</summary>
    Int32,

    /// <summary>16-bit signed integer (safetensors <c>I16</c>, <c>torch.int16</c>).</summary>
    Int16,

    /// <summary>8-bit signed integer (safetensors <c>I8</c>, <c>torch.int8</c>).</summary>
    Int8,

    /// <summary>8-bit unsigned integer (safetensors <c>U8</c>, <c>torch.uint8</c>).</summary>
    UInt8,

    /// <summary>Boolean stored as one byte, 0 or 1 (safetensors <c>BOOL</c>, <c>torch.bool</c>).</summary>
    Bool,
}
