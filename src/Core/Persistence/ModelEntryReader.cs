using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace MLNetVideo.Persistence;

/// <summary>Reads a transformer's entries back from a model zip, checking each against the length and
/// SHA-256 recorded at save time.</summary>
public sealed class ModelEntryReader
{
    private readonly Func<string, long, byte[]?> _load;
    private readonly Dictionary<string, EntryRecord> _records;

    internal ModelEntryReader(IHostEnvironment environment, string componentId, int contentVersion,
        IEnumerable<EntryRecord> records, Func<string, long, byte[]?> load)
    {
        Environment = environment;
        ComponentId = componentId;
        ContentVersion = contentVersion;
        _records = records.ToDictionary(r => r.Name);
        _load = load;
    }

    /// <summary>The ML.NET environment (the MLContext) that is loading the model.</summary>
    public IHostEnvironment Environment { get; }

    /// <summary>The component id found in the zip.</summary>
    public string ComponentId { get; }

    /// <summary>The content version the component wrote.</summary>
    public int ContentVersion { get; }

    /// <summary>Whether an entry was written.</summary>
    /// <param name="name">Entry name.</param>
    /// <returns>True when present in the zip's manifest.</returns>
    public bool Contains(string name) => _records.ContainsKey(name);

    /// <summary>Reads an entry's bytes, verified against the manifest.</summary>
    /// <param name="name">Entry name.</param>
    /// <returns>The content.</returns>
    /// <exception cref="InvalidDataException">The entry is missing, has another length or another hash.</exception>
    public byte[] ReadBytes(string name)
    {
        if (!_records.TryGetValue(name, out var record))
            throw new InvalidDataException($"The model zip has no entry '{name}' for component {ComponentId}.");
        var bytes = _load(name, record.Length)
            ?? throw new InvalidDataException($"The model zip is missing the file of entry '{name}' of component {ComponentId}.");
        if (bytes.LongLength != record.Length || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), record.Sha256))
            throw new InvalidDataException(
                $"Entry '{name}' of component {ComponentId} in the model zip is damaged or was modified " +
                $"(expected {record.Length} bytes with the recorded SHA-256, found {bytes.LongLength} bytes that do not match).");
        return bytes;
    }

    /// <summary>Reads an entry through a <see cref="BinaryReader"/>.</summary>
    /// <typeparam name="T">What the callback returns.</typeparam>
    /// <param name="name">Entry name.</param>
    /// <param name="read">Reads the content.</param>
    /// <returns>The callback's result.</returns>
    public T ReadBinary<T>(string name, Func<BinaryReader, T> read)
    {
        using var reader = new BinaryReader(new MemoryStream(ReadBytes(name), writable: false));
        return read(reader);
    }

    /// <summary>Reads a JSON entry.</summary>
    /// <typeparam name="T">The value type.</typeparam>
    /// <param name="name">Entry name.</param>
    /// <returns>The value.</returns>
    public T ReadJson<T>(string name)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(ReadBytes(name), ModelJson.Options)
                ?? throw new InvalidDataException($"Entry '{name}' of component {ComponentId} holds null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Entry '{name}' of component {ComponentId} is not valid JSON for {typeof(T).Name}: {e.Message}", e);
        }
    }

    /// <summary>Loads parameters and buffers into a module built with the same architecture (strict: every name and shape must match).</summary>
    /// <param name="name">Entry name.</param>
    /// <param name="module">The module to fill.</param>
    public void ReadModule(string name, torch.nn.Module module)
    {
        try
        {
            ReadBinary(name, reader => module.load(reader, strict: true));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"Weights entry '{name}' of component {ComponentId} does not fit the network described by its settings: {e.Message}", e);
        }
    }
}
