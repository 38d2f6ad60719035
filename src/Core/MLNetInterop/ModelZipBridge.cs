using System.Reflection;
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
public static class ModelZipBridge
{
    /// <summary>Loader signature recorded in every zip entry MLNetVideo writes.</summary>
    public const string LoaderSignature = "MLNetVideoTransformer";
    private const string ModelSignature = "MLNVXFRM";
    private const uint MLNetVersion = 0x00010001;
    private const int Magic = 0x564E4C4D; // "MLNV"
    private const long MaxEntryBytes = 8L << 30;

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
        int count = reader.ReadInt32();
        if (count < 0 || count > 10_000)
            throw new InvalidDataException($"The model zip's manifest for component {componentId} is damaged ({count} entries).");
        var records = new List<EntryRecord>(count);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            long length = reader.ReadInt64();
            byte[] hash = reader.ReadBytes(32);
            if (length < 0 || length > MaxEntryBytes || hash.Length != 32)
                throw new InvalidDataException($"The model zip's manifest entry '{name}' of component {componentId} is damaged.");
            if (!EntryNames.IsValid(name))
                throw new InvalidDataException(
                    $"The model zip's manifest of component {componentId} names entry '{name}', which is not allowed (it could reach outside the component's folder).");
            records.Add(new EntryRecord(name, length, hash));
        }

        var type = ResolveComponent(componentId, assemblyName);
        var entries = new ModelEntryReader(environment, componentId, contentVersion, records,
            (name, length) => ReadEntry(context, name, length));
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

    private static Type ResolveComponent(string componentId, string assemblyName)
    {
        // Only MLNetVideo assemblies are ever loaded on behalf of a zip, and only types they register.
        if (!assemblyName.StartsWith("MLNetVideo.", StringComparison.Ordinal) || assemblyName.Any(c => c is '/' or '\\' or ','))
            throw new InvalidDataException($"The model zip names assembly '{assemblyName}' for component {componentId}; MLNetVideo only loads its own assemblies.");
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

    private static byte[]? ReadEntry(ModelLoadContext context, string name, long expectedLength)
    {
        byte[]? result = null;
        bool found = context.TryLoadBinaryStream(name, reader =>
        {
            // Read at most one byte more than recorded, so a zip bomb cannot make us allocate more.
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = reader.BaseStream.Read(chunk, 0, chunk.Length)) > 0)
            {
                buffer.Write(chunk, 0, read);
                if (buffer.Length > expectedLength)
                    break;
            }
            result = buffer.ToArray();
        });
        return found ? result : null;
    }
}
