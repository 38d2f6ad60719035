using System.IO.Compression;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Runtime;
using MLNetVideo.Persistence;

// The one loader ML.NET knows about: every MLNetVideo transformer is saved under this signature,
// and ModelZipBridge.Create dispatches to the right type by the component id in the payload.
[assembly: LoadableClass(typeof(ITransformer), typeof(MLNetVideo.Interop.ModelZipBridge), null, typeof(SignatureLoadModel),
    "MLNetVideo transformer", MLNetVideo.Interop.ModelZipBridge.LoaderSignature)]

namespace MLNetVideo.Interop;

/// <summary>
/// Bridge into ML.NET's model-zip machinery (internal in 5.0.1). Save writes our version info and
/// payload through <see cref="ModelSaveContext"/>; ML.NET finds <see cref="Create"/> through the
/// <c>LoadableClass</c> attribute above when it loads the zip, after loading this assembly by name.
/// </summary>
internal static class ModelZipBridge
{
    /// <summary>Loader signature recorded in every zip entry MLNetVideo writes.</summary>
    public const string LoaderSignature = "MLNetVideoTransformer";
    private const string ModelSignature = "MLNVXFRM";
    private const uint MLNetVersion = 0x00010001;
    private const int Magic = 0x564E4C4D; // "MLNV"

    /// <summary>Per zip being loaded (ML.NET's repository): the bytes our entries decompressed to so far, and whether its
    /// signature was checked.</summary>
    private static readonly ConditionalWeakTable<object, LoadState> States = new();

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: ModelSignature,
        verWrittenCur: MLNetVersion,
        verReadableCur: MLNetVersion,
        verWeCanReadBack: MLNetVersion,
        loaderAssemblyName: typeof(ModelZipBridge).Assembly.FullName,
        loaderSignature: LoaderSignature);

    internal static void Save(ModelSaveContext context, string componentId, int contentVersion, string assemblyName,
        Action<ModelEntryWriter> writeEntries)
    {
        context.CheckAtModel();
        context.SetVersionInfo(GetVersionInfo());
        var writer = context.Writer;
        writer.Write(Magic);
        writer.Write(ModelZip.FormatVersion);
        writer.Write(componentId);
        writer.Write(assemblyName);
        writer.Write(contentVersion);

        var entries = new ModelEntryWriter((name, bytes) => context.SaveBinaryStream(name, w => w.Write(bytes)));
        writeEntries(entries);

        writer.Write(entries.Records.Count);
        foreach (var record in entries.Records)
        {
            writer.Write(record.Name);
            writer.Write(record.Length);
            writer.Write(record.Sha256);
        }
    }

    /// <summary>Called by ML.NET for every MLNetVideo transformer in a zip being loaded.</summary>
    /// <param name="environment">The loading MLContext.</param>
    /// <param name="context">ML.NET's load context, positioned at this transformer.</param>
    /// <returns>The restored transformer.</returns>
    public static ITransformer Create(IHostEnvironment environment, ModelLoadContext context)
    {
        context.CheckAtModel(GetVersionInfo());
        var reader = context.Reader;
        if (reader.ReadInt32() != Magic)
            throw new InvalidDataException("This model zip entry was not written by MLNetVideo (bad magic number).");
        int format = reader.ReadInt32();
        if (format > ModelZip.FormatVersion || format < 1)
            throw new InvalidDataException(
                $"This model zip was saved in MLNetVideo format version {format}; this MLNetVideo reads versions 1 to {ModelZip.FormatVersion}. " +
                "Load it with the MLNetVideo version that saved it, or a newer one.");
        string componentId = reader.ReadString();
        string assemblyName = reader.ReadString();
        int contentVersion = reader.ReadInt32();
        var options = VideoModelLoadOptions.Current;
        var state = States.GetValue(context.Repository, _ => new LoadState());
        // A plain mlContext.Model.Load under options that require a signature: the zip was not checked before ML.NET opened it,
        // so it is checked here, once, before any component of it is restored.
        if (options.RequiresSignature && VideoModelLoadOptions.CurrentScope is not { ZipChecked: true })
            state.EnsureSigned(context, options);
        int count = reader.ReadInt32();
        if (count < 0 || count > 10_000)
            throw new InvalidDataException($"The model zip's manifest for component {componentId} is damaged ({count} entries).");
        var records = new List<EntryRecord>(count);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long length = reader.ReadInt64();
            byte[] hash = reader.ReadBytes(32);
            if (length < 0 || hash.Length != 32)
                throw new InvalidDataException($"The model zip's manifest entry '{name}' of component {componentId} is damaged.");
            if (length > options.MaxEntryBytes)
                throw new InvalidDataException(
                    $"The model zip's manifest of component {componentId} declares entry '{name}' of {length} bytes, more than VideoModelLoadOptions.MaxEntryBytes ({options.MaxEntryBytes}).");
            if (!EntryNames.IsValid(name))
                throw new InvalidDataException(
                    $"The model zip's manifest of component {componentId} names entry '{name}', which is not allowed (it could reach outside the component's folder).");
            records.Add(new EntryRecord(name, length, hash));
        }

        var type = ResolveComponent(componentId, assemblyName);
        var entries = new ModelEntryReader(environment, componentId, contentVersion, records,
            record => ReadEntry(context, componentId, record, state, options), options);
        var load = type.GetMethod("LoadFrom", BindingFlags.Public | BindingFlags.Static, [typeof(ModelEntryReader)])
            ?? throw new InvalidDataException($"Component {componentId} ({type.FullName}) has no LoadFrom(ModelEntryReader) method.");
        try
        {
            return (ITransformer)load.Invoke(null, [entries])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Components that moved to another assembly: (component id, assembly named by older zips) → its assembly now.</summary>
    private static readonly Dictionary<(string ComponentId, string Assembly), string> MovedComponents = new()
    {
        // Issue 18: the ONNX route left MLNetVideo.Featurizers so that other users do not depend on ONNX Runtime.
        [("MLNetVideo.OnnxClipFeaturizer", "MLNetVideo.Featurizers")] = "MLNetVideo.Featurizers.Onnx",
    };

    private static Type ResolveComponent(string componentId, string assemblyName)
    {
        // Only MLNetVideo assemblies are ever loaded on behalf of a zip, and only types they register.
        if (!assemblyName.StartsWith("MLNetVideo.", StringComparison.Ordinal) || assemblyName.Any(c => c is '/' or '\\' or ','))
            throw new InvalidDataException($"The model zip names assembly '{assemblyName}' for component {componentId}; MLNetVideo only loads its own assemblies.");
        // Zips saved before a component moved to its own package name the assembly it lived in then.
        if (MovedComponents.TryGetValue((componentId, assemblyName), out var movedTo))
            assemblyName = movedTo;
        Assembly assembly;
        try
        {
            assembly = Assembly.Load(new AssemblyName(assemblyName));
        }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new InvalidDataException(
                $"The model zip needs assembly {assemblyName} for component {componentId}; add a reference to the {assemblyName} package to this application.", e);
        }
        var registration = assembly.GetCustomAttributes<PersistentTransformerAttribute>().FirstOrDefault(a => a.ComponentId == componentId)
            ?? throw new InvalidDataException(
                $"Component {componentId} is not known to {assemblyName} {assembly.GetName().Version}; the zip may come from a newer MLNetVideo.");
        return registration.TransformerType;
    }

    /// <summary>
    /// Reads one of our entries straight from the zip, in two bounded passes: the first decompresses it as a stream and
    /// checks its length and SHA-256 against the manifest without keeping it; only a matching entry is then materialised,
    /// into an array of exactly the recorded length. (ML.NET's own entry reader would first decompress the whole entry into
    /// a temporary file or a buffer of the size its headers claim.) Null when the zip has no such file.
    /// </summary>
    private static byte[]? ReadEntry(ModelLoadContext context, string componentId, EntryRecord record, LoadState state, VideoModelLoadOptions options)
    {
        var entry = FindArchiveEntry(context, record.Name);
        if (entry is null)
            return ReadEntryThroughRepository(context, componentId, record);
        if (ModelZipScan.IsSymbolicLink(entry))
            throw new InvalidDataException($"Entry '{record.Name}' of component {componentId} in the model zip is a symbolic link; a model zip holds only files.");
        var buffer = new byte[(int)Math.Min(1 << 16, Math.Max(1, record.Length + 1))];
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            long length = 0;
            using (var content = entry.Open())
            {
                int read;
                while (length <= record.Length && (read = content.Read(buffer, 0, buffer.Length)) > 0)
                {
                    length += read;
                    hash.AppendData(buffer, 0, read);
                }
            }
            if (length != record.Length || !CryptographicOperations.FixedTimeEquals(hash.GetHashAndReset(), record.Sha256))
                throw Damaged(componentId, record, length > record.Length ? $"more than {record.Length} bytes" : $"{length} bytes");
        }
        state.Add(record.Length, options, componentId, record.Name);
        var bytes = new byte[record.Length];
        using (var content = entry.Open())
            content.ReadExactly(bytes);
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), record.Sha256))
            throw Damaged(componentId, record, "bytes that changed while they were read");
        return bytes;
    }

    private static InvalidDataException Damaged(string componentId, EntryRecord record, string found)
        => new($"Entry '{record.Name}' of component {componentId} in the model zip is damaged or was modified " +
               $"(expected {record.Length} bytes with the recorded SHA-256, found {found} that do not match).");

    /// <summary>The zip entry of one of our files, found in ML.NET's repository without extracting it; null when the repository
    /// is not a zip reader (then ML.NET's own reader is used).</summary>
    private static ZipArchiveEntry? FindArchiveEntry(ModelLoadContext context, string name)
    {
        if (context.Repository is not RepositoryReader repository || repository._entries is not { } entries)
            return null;
        repository.GetPath(out string pathEntry, out _, context.Directory, name, false);
        return entries.TryGetValue(pathEntry, out var entry) || entries.TryGetValue(pathEntry.Replace('/', '\\'), out entry) ? entry : null;
    }

    /// <summary>Fallback for repositories that are not zips: ML.NET's reader, still bounded by the recorded length.</summary>
    private static byte[]? ReadEntryThroughRepository(ModelLoadContext context, string componentId, EntryRecord record)
    {
        byte[]? result = null;
        bool found = context.TryLoadBinaryStream(record.Name, reader =>
        {
            var bytes = new byte[record.Length];
            int filled = reader.BaseStream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
            bool longer = reader.BaseStream.ReadByte() >= 0;
            if (filled != record.Length || longer || !CryptographicOperations.FixedTimeEquals(SHA256.HashData(bytes), record.Sha256))
                throw Damaged(componentId, record, longer ? $"more than {record.Length} bytes" : $"{filled} bytes");
            result = bytes;
        });
        return found ? result : null;
    }

    /// <summary>What one zip being loaded has used so far.</summary>
    private sealed class LoadState
    {
        private long _bytes;
        private bool _signed;

        /// <summary>Counts bytes materialised for our entries of this zip against VideoModelLoadOptions.MaxTotalBytes.</summary>
        public void Add(long bytes, VideoModelLoadOptions options, string componentId, string name)
        {
            if (Interlocked.Add(ref _bytes, bytes) > options.MaxTotalBytes)
                throw new InvalidDataException(
                    $"Entry '{name}' of component {componentId} brings the model zip's entries to more than VideoModelLoadOptions.MaxTotalBytes ({options.MaxTotalBytes} bytes).");
        }

        /// <summary>Checks the signature of the zip ML.NET is reading, once.</summary>
        public void EnsureSigned(ModelLoadContext context, VideoModelLoadOptions options)
        {
            if (_signed)
                return;
            if (context.Repository is not RepositoryReader { _archive: { } archive })
                throw new InvalidDataException("This application requires signed models, and this model does not come from a zip whose signature can be checked.");
            ModelSigning.Verify(archive, ModelZipScan.Scan(archive, options, "(being loaded)"), options.TrustedSigningKeys, "(being loaded)");
            _signed = true;
        }
    }
}
