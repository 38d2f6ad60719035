using System.Security.Cryptography;
using System.Text.Json;
using TorchSharp;

namespace MLNetVideo.Persistence;

/// <summary>Writes a transformer's entries into its folder of the model zip. Each entry is hashed so a
/// damaged or edited zip is refused at load.</summary>
public sealed class ModelEntryWriter
{
    private readonly Action<string, byte[]> _save;
    private readonly List<EntryRecord> _records = [];

    internal ModelEntryWriter(Action<string, byte[]> save) => _save = save;

    internal IReadOnlyList<EntryRecord> Records => _records;

    /// <summary>Writes raw bytes.</summary>
    /// <param name="name">Entry name: letters, digits, '.', '_' and '-'.</param>
    /// <param name="bytes">The content.</param>
    public void WriteBytes(string name, byte[] bytes)
    {
        EntryNames.Validate(name);
        if (_records.Any(r => r.Name == name))
            throw new InvalidOperationException($"Model entry '{name}' was written twice.");
        _save(name, bytes);
        _records.Add(new EntryRecord(name, bytes.LongLength, SHA256.HashData(bytes)));
    }

    /// <summary>Writes through a <see cref="BinaryWriter"/>.</summary>
    /// <param name="name">Entry name.</param>
    /// <param name="write">Writes the content.</param>
    public void WriteBinary(string name, Action<BinaryWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
            write(writer);
        WriteBytes(name, buffer.ToArray());
    }

    /// <summary>Writes a value as JSON (enums as names).</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="name">Entry name.</param>
    /// <param name="value">The value.</param>
    public void WriteJson<T>(string name, T value)
        => WriteBytes(name, JsonSerializer.SerializeToUtf8Bytes(value, ModelJson.Options));

    /// <summary>Writes a TorchSharp module's parameters and buffers.</summary>
    /// <param name="name">Entry name.</param>
    /// <param name="module">The module (its state is read, not changed).</param>
    public void WriteModule(string name, torch.nn.Module module)
        => WriteBinary(name, writer => module.save(writer));
}
