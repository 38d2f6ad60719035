using System.Globalization;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using Tensor = TorchSharp.torch.Tensor;
using Microsoft.ML.Runtime;
using MLNetVideo.Data;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Featurizers.Onnx;
using MLNetVideo.Persistence;
using static TorchSharp.torch;
using MLNetVideo.Interop;

[assembly: PersistentTransformer(OnnxClipFeaturizingTransformer.Id, typeof(OnnxClipFeaturizingTransformer))]

namespace MLNetVideo.Featurizers.Onnx;

/// <summary>
/// An exported CLIP image encoder run by ONNX Runtime on every frame of a clip column (see <see cref="OnnxClipFeaturizingEstimator"/>).
/// Its output column is the one <c>FeaturizeVideoWithClip</c> writes. Dispose it to release the ONNX Runtime session.
/// </summary>
public sealed class OnnxClipFeaturizingTransformer : RowMappingTransformerBase, IPersistentTransformer<OnnxClipFeaturizingTransformer>, IDisposable
{
    internal const string Id = "MLNetVideo.OnnxClipFeaturizer";
    private const string OptionsEntry = "Options.json";
    private const string ModelEntry = "Model.onnx";
    private readonly OnnxClipFeaturizingEstimator.Options _options;
    private readonly InferenceSession _session;
    private readonly byte[]? _embeddedModel;
    private readonly string _inputName;
    private readonly string[] _outputNames;
    private readonly ClipFeatureComputer _computer;
    private bool _disposed;

    private OnnxClipFeaturizingTransformer(OnnxClipFeaturizingEstimator.Options options, InferenceSession session, byte[]? embeddedModel,
        string modelSha256, ClipVisionSpec spec, ClipPreprocessing preprocessing)
    {
        _options = options;
        _session = session;
        _embeddedModel = embeddedModel;
        ModelSha256 = modelSha256;
        Spec = spec;
        Preprocessing = preprocessing;
        _outputNames = [.. OnnxClipFeaturizer.EvlOutputNames(spec.Layers, options.LayersKept, options.IncludeAttention)];
        _inputName = CheckGraph(options.ModelPath, session, spec, _outputNames);
        string identity = System.Text.Json.JsonSerializer.Serialize(new
        {
            Route = "onnx",
            Variant = spec.Variant.ToString(),
            Model = modelSha256,
            options.LayersKept,
            options.IncludeAttention,
            Layout = options.InputLayout.ToString(),
            preprocessing.ImageSize,
            preprocessing.Mean,
            preprocessing.Std,
        });
        _computer = new ClipFeatureComputer(new GraphEncoder(this), new ClipFeatureSettings(
            options.InputColumnName, options.OutputColumnName, options.InputLayout, options.LayersKept, options.IncludeAttention,
            options.FramesPerBatch, options.RowsPerBatch, options.CacheFolder, identity, options.CacheVideoPathColumnName,
            options.CacheVideoSampling is { } sampling ? ClipFeatureCache.SamplingKey(sampling) : null, options.CacheVideoSampling?.VideoFolder,
            options.CacheVideoSampling?.AllowPathsOutsideVideoFolder ?? false));
    }

    /// <inheritdoc />
    public static string ComponentId => Id;

    /// <inheritdoc />
    public static int ContentVersion => 1;

    /// <summary>The CLIP tower the graph encodes.</summary>
    public ClipVisionSpec Spec { get; }

    /// <summary>The preprocessing applied to each frame.</summary>
    public ClipPreprocessing Preprocessing { get; }

    /// <summary>SHA-256 (lowercase hex) of the .onnx file.</summary>
    public string ModelSha256 { get; }

    /// <summary>M, the number of last blocks kept.</summary>
    public int LayersKept => _options.LayersKept;

    /// <summary>Whether q and k are written after the block outputs.</summary>
    public bool IncludeAttention => _options.IncludeAttention;

    /// <summary>The output column.</summary>
    public string OutputColumnName => _options.OutputColumnName;

    /// <summary>Graph runs so far (each over at most <c>FramesPerBatch</c> frames).</summary>
    internal long EncoderForwards => _computer.EncoderForwards;

    /// <summary>Clips served from the feature cache so far.</summary>
    internal long CacheHits => _computer.CacheHits;

    internal static OnnxClipFeaturizingTransformer Create(IHostEnvironment environment, OnnxClipFeaturizingEstimator.Options options)
    {
        byte[] bytes = File.ReadAllBytes(options.ModelPath);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        var session = OpenSession(bytes, options);
        try
        {
            var (spec, preprocessing) = Resolve(session, options);
            MLNetVideo.Interop.MLNetHost.LogInfo(environment, "CLIP/ONNX", $"Opened {options.ModelPath} (SHA-256 {hash}) as CLIP {spec.Variant}.");
            return new OnnxClipFeaturizingTransformer(options, session, options.EmbedModel ? bytes : null, hash, spec, preprocessing);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    private static InferenceSession OpenSession(byte[] model, OnnxClipFeaturizingEstimator.Options options)
    {
        using var sessionOptions = new SessionOptions();
        if (options.IntraOpThreads > 0) sessionOptions.IntraOpNumThreads = options.IntraOpThreads;
        try
        {
            return new InferenceSession(model, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InvalidDataException($"ONNX Runtime cannot load '{options.ModelPath}': {e.Message}", e);
        }
    }

    /// <summary>The tower and preprocessing from the options, falling back on the graph's metadata.</summary>
    private static (ClipVisionSpec Spec, ClipPreprocessing Preprocessing) Resolve(InferenceSession session, OnnxClipFeaturizingEstimator.Options options)
    {
        var metadata = session.ModelMetadata.CustomMetadataMap;
        ClipVisionVariant variant;
        if (options.Variant is { } chosen)
            variant = chosen;
        else if (metadata.TryGetValue("clip_variant", out var text) && Enum.TryParse(text, out ClipVisionVariant parsed) && Enum.IsDefined(parsed))
            variant = parsed;
        else
            throw new InvalidOperationException($"The ONNX graph '{options.ModelPath}' does not say which CLIP tower it encodes (no 'clip_variant' metadata); set Options.Variant.");
        var spec = ClipVisionSpecs.Get(variant);
        if (options.LayersKept > spec.Layers)
            throw new ArgumentOutOfRangeException(nameof(options.LayersKept), options.LayersKept, $"CLIP {variant} has {spec.Layers} blocks; LayersKept must be at most that.");
        var fromGraph = ClipPreprocessing.FromMetadata(metadata.Where(kv => kv.Key is "image_mean" or "image_std")
            .ToDictionary(kv => kv.Key, kv => kv.Value), spec.ImageSize);
        return (spec, new ClipPreprocessing(spec.ImageSize, options.ImageMean ?? fromGraph.Mean, options.ImageStd ?? fromGraph.Std));
    }

    /// <summary>Checks the graph against the contract; returns its input name. Every problem is listed in one message.</summary>
    private static string CheckGraph(string modelPath, InferenceSession session, ClipVisionSpec spec, string[] outputs)
    {
        var problems = new List<string>();
        string inputName = "";
        var inputs = session.InputMetadata;
        if (inputs.Count != 1)
        {
            problems.Add($"it has {inputs.Count} inputs ({string.Join(", ", inputs.Keys.Select(k => $"'{k}'"))}); the CLIP route needs exactly one image input [N, 3, {spec.ImageSize}, {spec.ImageSize}]");
        }
        else
        {
            var (name, meta) = inputs.Single();
            inputName = name;
            int[] want = [-1, 3, spec.ImageSize, spec.ImageSize];
            if (meta.ElementType != typeof(float) || !DimsFit(meta.Dimensions, want))
                problems.Add($"its input '{name}' is {Describe(meta)}, expected float [N, 3, {spec.ImageSize}, {spec.ImageSize}]");
        }
        var missing = outputs.Where(o => !session.OutputMetadata.ContainsKey(o)).ToArray();
        if (missing.Length > 0)
            problems.Add($"it lacks the output(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} (it exposes {string.Join(", ", session.OutputMetadata.Keys.Take(40).Select(k => $"'{k}'"))})");
        foreach (var name in outputs.Except(missing))
        {
            var meta = session.OutputMetadata[name];
            if (meta.ElementType != typeof(float) || !DimsFit(meta.Dimensions, [-1, spec.Tokens, spec.Width]))
                problems.Add($"its output '{name}' is {Describe(meta)}, expected float [N, {spec.Tokens}, {spec.Width}] (CLIP {spec.Variant}: tokens, width)");
        }
        if (problems.Count > 0)
            throw new InvalidOperationException(
                $"The ONNX graph '{modelPath}' does not meet the CLIP feature contract: {string.Join("; ", problems)}. " +
                "Export it with ClipOnnxExporter, or expose each kept block's output and its attention q and k as graph outputs named block{i}_out, block{i}_q, block{i}_k.");
        return inputName;
    }

    private static bool DimsFit(int[] actual, int[] expected)
        => actual.Length == expected.Length && actual.Zip(expected).All(p => p.First <= 0 || p.Second <= 0 || p.First == p.Second);

    private static string Describe(NodeMetadata meta)
        => $"{meta.ElementType.Name} [{string.Join(", ", meta.Dimensions.Select(d => d <= 0 ? "?" : d.ToString(CultureInfo.InvariantCulture)))}]";

    /// <inheritdoc />
    public static OnnxClipFeaturizingTransformer LoadFrom(ModelEntryReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (reader.ContentVersion != ContentVersion)
            throw new InvalidDataException($"Component {Id} was saved with content version {reader.ContentVersion}; this MLNetVideo reads version {ContentVersion}.");
        var saved = reader.ReadJson<SavedState>(OptionsEntry);
        var options = saved.Options ?? throw new InvalidDataException($"Entry '{OptionsEntry}' of component {Id} holds no options.");
        // Where the graph, cache and videos are is the loading application's decision, never the zip's.
        (options.CacheFolder, options.CacheVideoPathColumnName, options.CacheVideoSampling) =
            ClipFeaturizerRules.Rebind(options.CacheVideoPathColumnName, options.CacheVideoSampling, reader.LoadOptions);
        bool embedded = reader.Contains(ModelEntry);
        if (!embedded)
        {
            options.ModelPath = reader.ResolveReferencedFile(options.ModelPath, saved.ModelSha256, "ONNX graph");
            if (new FileInfo(options.ModelPath).Length > Array.MaxLength)
                throw new InvalidDataException($"The ONNX graph '{options.ModelPath}' is larger than the {Array.MaxLength} bytes one graph may hold.");
        }
        options.Variant = saved.Variant;
        try
        {
            options.Validate(checkModelFile: !embedded);
        }
        catch (ArgumentException e)
        {
            throw ClipFeaturizerRules.InvalidSettings(Id, e);
        }
        ClipFeaturizerRules.CheckPreprocessing(saved.Preprocessing, ClipVisionSpecs.Get(saved.Variant), Id);
        byte[] bytes = embedded ? reader.ReadBytes(ModelEntry) : File.ReadAllBytes(options.ModelPath);
        string hash = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (!string.Equals(hash, saved.ModelSha256, StringComparison.Ordinal))
            throw new InvalidDataException($"The ONNX graph '{options.ModelPath}' has SHA-256 {hash}, but the model zip was built with a graph whose SHA-256 is {saved.ModelSha256}. Refusing a different file: restore the original graph or refit the pipeline.");
        var session = OpenSession(bytes, options);
        try
        {
            var spec = ClipVisionSpecs.Get(saved.Variant);
            return new OnnxClipFeaturizingTransformer(options, session, reader.Contains(ModelEntry) ? bytes : null, hash, spec, saved.Preprocessing);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override void SaveModel(ModelSaveContext context)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ModelZip.Save(context, this, writer =>
        {
            writer.WriteJson(OptionsEntry, new SavedState { Options = _options, Variant = Spec.Variant, Preprocessing = Preprocessing, ModelSha256 = ModelSha256 });
            if (_embeddedModel is not null)
                writer.WriteBytes(ModelEntry, _embeddedModel);
        });
    }

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(DataViewSchema inputSchema)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ClipFeatureMapping(inputSchema, null, _computer);
    }

    /// <inheritdoc />
    protected override ColumnMapping CreateMapping(IDataView input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new ClipFeatureMapping(input.Schema, input, _computer);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _session.Dispose();
    }

    internal sealed class SavedState
    {
        public OnnxClipFeaturizingEstimator.Options Options { get; set; } = new();
        public ClipVisionVariant Variant { get; set; }
        public ClipPreprocessing Preprocessing { get; set; } = ClipPreprocessing.OpenAI(224);
        public string ModelSha256 { get; set; } = "";
    }

    /// <summary>Preprocessing in TorchSharp on the CPU, then one graph run per batch of frames.</summary>
    private sealed class GraphEncoder(OnnxClipFeaturizingTransformer owner) : IClipFrameEncoder
    {
        public int Tokens => owner.Spec.Tokens;

        public int Width => owner.Spec.Width;

        public Tensor Prepare(Tensor frames) => ClipPreprocessing.Apply(frames.to(CPU), owner.Preprocessing);

        public Tensor Encode(Tensor prepared)
        {
            ObjectDisposedException.ThrowIf(owner._disposed, owner);
            return RunGraph(owner._session, owner._inputName, owner._outputNames, prepared, owner.Spec, $"The ONNX graph '{owner._options.ModelPath}'");
        }
    }

    /// <summary>One run of a CLIP graph over prepared frames [n, 3, S, S]: the named [n, tokens, W] outputs stacked.</summary>
    internal static Tensor RunGraph(InferenceSession session, string inputName, string[] outputNames, Tensor prepared, ClipVisionSpec spec, string what)
    {
        var x = prepared.contiguous();
        int n = (int)x.shape[0], s = spec.ImageSize;
        var input = new DenseTensor(x.data<float>().ToArray(), [n, 3, s, s]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(inputName, input)], outputNames);
        var byName = results.ToDictionary(r => r.Name, r => r);
        var slices = new List<Tensor>(outputNames.Length);
        foreach (var name in outputNames)
        {
            var result = byName[name];
            var value = result.AsTensor<float>();
            long[] dims = [.. value.Dimensions.ToArray().Select(d => (long)d)];
            if (dims.Length != 3 || dims[0] != n || dims[1] != spec.Tokens || dims[2] != spec.Width)
                throw new InvalidOperationException($"{what} returned '{result.Name}' as [{string.Join(", ", dims)}]; the CLIP contract needs [{n}, {spec.Tokens}, {spec.Width}].");
            slices.Add(tensor(value.ToArray(), dims));
        }
        return stack(slices);
    }
}
