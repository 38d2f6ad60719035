using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.ML.Runtime;
using TorchSharp;

namespace MLNetVideo.Persistence;

/// <summary>Reads a transformer's entries back from a model zip, checking each against the length and
/// SHA-256 recorded at save time, and each length against what the reader expects before anything is decompressed.</summary>
public sealed class ModelEntryReader
{
    /// <summary>Largest settings (JSON) entry: 16 MiB.</summary>
    public const long MaxSettingsBytes = 16L << 20;

    private readonly Func<EntryRecord, byte[]?> _load;
    private readonly Dictionary<string, EntryRecord> _records;

    internal ModelEntryReader(IHostEnvironment environment, string componentId, int contentVersion,
        IEnumerable<EntryRecord> records, Func<EntryRecord, byte[]?> load, VideoModelLoadOptions loadOptions)
    {
        Environment = environment;
        ComponentId = componentId;
        ContentVersion = contentVersion;
        _records = records.ToDictionary(r => r.Name);
        _load = load;
        LoadOptions = loadOptions;
    }

    /// <summary>The loading application's options: a component takes every file location, cache folder and referenced file
    /// from here, never from its own saved settings (see <see cref="VideoModelLoadOptions"/>).</summary>
    public VideoModelLoadOptions LoadOptions { get; }

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

    /// <summary>The length the manifest records for an entry (nothing is read).</summary>
    /// <param name="name">Entry name.</param>
    /// <returns>The length in bytes.</returns>
    /// <exception cref="InvalidDataException">The manifest has no such entry.</exception>
    public long LengthOf(string name)
        => _records.TryGetValue(name, out var record) ? record.Length
            : throw new InvalidDataException($"The model zip has no entry '{name}' for component {ComponentId}.");

    /// <summary>Reads an entry's bytes, verified against the manifest; at most <see cref="VideoModelLoadOptions.MaxEntryBytes"/>.</summary>
    /// <param name="name">Entry name.</param>
    /// <returns>The content.</returns>
    /// <exception cref="InvalidDataException">The entry is missing, too large, has another length or another hash.</exception>
    public byte[] ReadBytes(string name) => Read(name, LoadOptions.MaxEntryBytes, "VideoModelLoadOptions.MaxEntryBytes");

    private byte[] Read(string name, long maxBytes, string bound)
    {
        if (!_records.TryGetValue(name, out var record))
            throw new InvalidDataException($"The model zip has no entry '{name}' for component {ComponentId}.");
        if (record.Length > maxBytes)
            throw new InvalidDataException(
                $"Entry '{name}' of component {ComponentId} in the model zip declares {record.Length} bytes, more than {bound} ({maxBytes} bytes); it is not read.");
        var bytes = _load(record)
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
            return JsonSerializer.Deserialize<T>(Read(name, MaxSettingsBytes, "the largest settings entry"), ModelJson.Options)
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
        ArgumentNullException.ThrowIfNull(module);
        // The network was built from the component's settings: its state dict says how large its weights entry can be.
        byte[] bytes = Read(name, SavedSizeBound(module), "the size of the network its settings describe");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes, writable: false));
            module.load(reader, strict: true);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"Weights entry '{name}' of component {ComponentId} does not fit the network described by its settings: {e.Message}", e);
        }
    }

    /// <summary>Loads a weights entry written by an older layout of the module: every saved tensor goes through
    /// <paramref name="upgrade"/> (which renames, reshapes or drops it, null = drop), then the result must name every
    /// parameter and buffer of <paramref name="module"/> once with its shape.</summary>
    /// <param name="name">Entry name.</param>
    /// <param name="module">The module to fill (today's layout).</param>
    /// <param name="upgrade">Maps a saved (key, tensor) to today's, or null to leave it out.</param>
    /// <param name="sizeFactor">How much larger than today's layout the old entry may be (duplicated keys).</param>
    public void ReadModule(string name, torch.nn.Module module, Func<string, torch.Tensor, (string Key, torch.Tensor Value)?> upgrade, int sizeFactor = 2)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(upgrade);
        byte[] bytes = Read(name, SavedSizeBound(module) * Math.Max(1, sizeFactor), "the size of the network its settings describe");
        var target = module.state_dict();
        using var scope = torch.NewDisposeScope();
        try
        {
            var loaded = new Dictionary<string, torch.Tensor>();
            foreach (var (key, tensor) in SavedModuleState.Read(bytes))
            {
                if (upgrade(key, tensor) is not var (newKey, value))
                    continue;
                if (!target.TryGetValue(newKey, out var existing))
                    throw new InvalidDataException($"it holds '{key}', which the network does not have");
                if (!existing.shape.SequenceEqual(value.shape) || existing.dtype != value.dtype)
                    throw new InvalidDataException($"'{key}' is {value.dtype} [{string.Join(", ", value.shape)}], the network's '{newKey}' is {existing.dtype} [{string.Join(", ", existing.shape)}]");
                if (!loaded.TryAdd(newKey, value))
                    throw new InvalidDataException($"it holds '{newKey}' twice");
            }
            if (target.Keys.FirstOrDefault(k => !loaded.ContainsKey(k)) is { } missing)
                throw new InvalidDataException($"it has no '{missing}'");
            using var noGrad = torch.no_grad();
            foreach (var (key, value) in loaded)
                target[key].copy_(value);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Weights entry '{name}' of component {ComponentId} (content version {ContentVersion}) does not fit the network described by its settings: {e.Message}.", e);
        }
    }

    /// <summary>An upper bound of the bytes <c>Module.save</c> writes for <paramref name="module"/>: its tensors' data plus, per
    /// tensor, its name and a header of type and shape.</summary>
    internal static long SavedSizeBound(torch.nn.Module module)
    {
        long bytes = 16;
        foreach (var (key, tensor) in module.state_dict())
            bytes += tensor.NumberOfElements * tensor.ElementSize + System.Text.Encoding.UTF8.GetByteCount(key) + 16 + 10L * (tensor.Dimensions + 2);
        return bytes;
    }

    /// <summary>
    /// The file a model refers to instead of embedding it (CLIP weights, an ONNX graph), found where the loading application
    /// says: by the file name of <paramref name="savedPath"/> only, in <see cref="VideoModelLoadOptions.WeightsFolder"/>. The
    /// file must be a regular file inside that folder (links resolved), within
    /// <see cref="VideoModelLoadOptions.MaxReferencedFileBytes"/>, read within <see cref="VideoModelLoadOptions.MaxFileReadTime"/>,
    /// with the SHA-256 recorded in the zip.
    /// </summary>
    /// <param name="savedPath">The path the zip recorded (only its file name is used).</param>
    /// <param name="expectedSha256">The lowercase hex SHA-256 the zip recorded.</param>
    /// <param name="what">What the file is, for messages ("CLIP weights file").</param>
    /// <returns>The full path of the verified file.</returns>
    /// <exception cref="FileNotFoundException">No WeightsFolder was given, or the file is not in it.</exception>
    /// <exception cref="InvalidDataException">The recorded name or hash is unusable, or the file is not regular, too large,
    /// too slow to read, or has another SHA-256.</exception>
    public string ResolveReferencedFile(string? savedPath, string? expectedSha256, string what)
    {
        string name = Path.GetFileName((savedPath ?? "").Replace('\\', '/'));
        if (name.Length == 0 || name is "." or ".." || name.Any(char.IsControl))
            throw new InvalidDataException($"Component {ComponentId} in the model zip names its {what} '{savedPath}', which is not a file name.");
        if (expectedSha256 is not { Length: 64 } || !expectedSha256.All(char.IsAsciiHexDigitLower))
            throw new InvalidDataException($"Component {ComponentId} in the model zip records no valid SHA-256 for its {what} '{name}'.");
        if (LoadOptions.WeightsFolder is not { } folderSetting)
            throw new FileNotFoundException(
                $"The model zip's component {ComponentId} reads its {what} '{name}' (SHA-256 {expectedSha256}) from a file outside the zip. " +
                "A model never chooses where its files are read from: name the folder that holds the file with VideoModelLoadOptions.WeightsFolder, " +
                "or save the model with the file embedded.", name);
        string folder = Path.GetFullPath(folderSetting);
        string path = Path.Combine(folder, name);
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"The model zip's component {ComponentId} needs its {what} '{name}' (SHA-256 {expectedSha256}), which is not in WeightsFolder '{folder}'.", path);
        Files.FileChecks.CheckInside(path, folder, what);
        string hash = Files.FileChecks.Sha256(path, LoadOptions.MaxReferencedFileBytes, LoadOptions.MaxFileReadTime, what);
        if (!string.Equals(hash, expectedSha256, StringComparison.Ordinal))
            throw new InvalidDataException(
                $"The {what} '{path}' has SHA-256 {hash}, but the model zip was built with a file whose SHA-256 is {expectedSha256}. " +
                "Refusing a different file: restore the original file or refit the pipeline.");
        return path;
    }
}
