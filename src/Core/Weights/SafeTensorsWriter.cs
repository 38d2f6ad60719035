using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using TorchSharp;

namespace MLNetVideo.Weights;

/// <summary>
/// Writes tensors in the safetensors format, so that a round trip through <see cref="SafeTensorsReader"/> is bit-exact.
/// </summary>
/// <remarks>
/// Layout: tensors are sorted by name (ordinal) and stored back to back in that order; the compact JSON header lists
/// <c>__metadata__</c> first (when given) and then each tensor as <c>{"dtype":…,"shape":[…],"data_offsets":[begin,end]}</c>;
/// the header is padded with spaces so that the data starts at a multiple of 8 bytes, as the specification recommends.
/// For one dtype and no metadata this is byte-for-byte what Python's <c>safetensors.torch.save_file</c> writes.
/// Files are written to a temporary file next to the target and then moved into place, so a failed write never leaves
/// a half-written file under the target name.
/// </remarks>
public static class SafeTensorsWriter
{
    /// <summary>Writes tensors to a file, replacing it if it exists.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Tensors by name. Names must be non-empty and must not be <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string-to-string metadata stored under <c>__metadata__</c>.</param>
    public static void Write(string path, IReadOnlyDictionary<string, TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        // Temporary file in the same folder, flushed, then renamed over the target: a failure never leaves half a file.
        Persistence.AtomicFile.Write(path, stream => Write(stream, tensors, metadata));
    }

    /// <summary>Writes TorchSharp tensors (any device) to a file, replacing it if it exists.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="tensors">Tensors by name, for example a module's <c>state_dict()</c>; they are copied, not changed.</param>
    /// <param name="metadata">Optional string-to-string metadata stored under <c>__metadata__</c>.</param>
    public static void Write(string path, IReadOnlyDictionary<string, torch.Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        Write(path, tensors.ToDictionary(kv => kv.Key, kv => TensorData.FromTensor(kv.Value), StringComparer.Ordinal), metadata);
    }

    /// <summary>Writes tensors to a stream, starting at its current position.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">Tensors by name. Names must be non-empty and must not be <c>__metadata__</c>.</param>
    /// <param name="metadata">Optional string-to-string metadata stored under <c>__metadata__</c>.</param>
    public static void Write(Stream stream, IReadOnlyDictionary<string, TensorData> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var header = BuildHeader(tensors, metadata, out var ordered);
        Span<byte> lengthField = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthField, (ulong)header.Length);
        stream.Write(lengthField);
        stream.Write(header);
        foreach (var (_, tensor) in ordered)
            stream.Write(tensor.Bytes.Span);
        stream.Flush();
    }

    private static byte[] BuildHeader(
        IReadOnlyDictionary<string, TensorData> tensors, IReadOnlyDictionary<string, string>? metadata,
        out List<KeyValuePair<string, TensorData>> ordered)
    {
        ordered = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null && metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    ArgumentNullException.ThrowIfNull(value, $"metadata[\"{key}\"]");
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in ordered)
            {
                if (string.IsNullOrEmpty(name) || name == "__metadata__")
                    throw new ArgumentException($"A tensor cannot be named \"{name}\" in a safetensors file.", nameof(tensors));
                ArgumentNullException.ThrowIfNull(tensor, $"tensors[\"{name}\"]");
                json.WriteStartObject(name);
                json.WriteString("dtype", tensor.DType.SafeTensorsName());
                json.WriteStartArray("shape");
                foreach (var dim in tensor.Shape) json.WriteNumberValue(dim);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.Bytes.Length;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
