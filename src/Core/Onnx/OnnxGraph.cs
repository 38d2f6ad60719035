using System.Globalization;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace MLNetVideo.Onnx;

/// <summary>
/// Builds an ONNX model (IR 8, default opset 17, standard operators only) node by node and writes it, without Python or
/// protobuf libraries: the exporters of the CLIP tower and of every trained network describe their forward pass with it.
/// </summary>
/// <remarks>
/// Names: inputs, outputs and weights keep the names they are given (weights use state-dict keys, so a graph can be read
/// against the checkpoint); every node output without a given name gets a fresh one. Constants (shapes, scalars) are named
/// after their content and stored once. Dimensions below zero are symbolic: −1 is <c>batch</c>, −k is <c>d{k}</c>.
/// Only little-endian hosts (ONNX raw data is little-endian).
/// </remarks>
internal sealed class OnnxGraph
{
    /// <summary>The opset written unless the caller asks for another.</summary>
    public const int DefaultOpset = 17;

    private const int FloatType = 1, Int64Type = 7;
    private readonly OnnxProtoWriter _nodes = new();
    private readonly OnnxProtoWriter _initializers = new();
    private readonly List<(string Name, long[] Dims)> _inputs = [];
    private readonly List<(string Name, long[] Dims)> _outputs = [];
    private readonly HashSet<string> _initializerNames = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Number of nodes written so far.</summary>
    public int NodeCount => _counter;

    /// <summary>Declares a float32 graph input.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="dims">Its shape (negative = symbolic).</param>
    /// <returns><paramref name="name"/>.</returns>
    public string Input(string name, params long[] dims)
    {
        _inputs.Add((name, dims));
        return name;
    }

    /// <summary>Declares a float32 graph output (the value must be produced by a node of that name).</summary>
    /// <param name="name">Its name.</param>
    /// <param name="dims">Its shape (negative = symbolic).</param>
    public void Output(string name, params long[] dims) => _outputs.Add((name, dims));

    /// <summary>Adds a node with one output.</summary>
    /// <param name="op">The operator (default domain).</param>
    /// <param name="inputs">Its inputs, in order ("" for an omitted optional input).</param>
    /// <param name="output">The output's name; null = a fresh one.</param>
    /// <param name="attributes">Attributes: float, long/int, long[], float[] or string values.</param>
    /// <returns>The output's name.</returns>
    public string Node(string op, string[] inputs, string? output = null, params (string Name, object Value)[] attributes)
    {
        output ??= $"{op.ToLowerInvariant()}_{_counter}";
        NodeWithOutputs(op, inputs, [output], attributes);
        return output;
    }

    /// <summary>Adds a node with several outputs (TopK, Split …).</summary>
    /// <param name="op">The operator (default domain).</param>
    /// <param name="inputs">Its inputs.</param>
    /// <param name="outputs">Its outputs' names.</param>
    /// <param name="attributes">Attributes, as for the single-output form.</param>
    public void NodeWithOutputs(string op, string[] inputs, string[] outputs, params (string Name, object Value)[] attributes)
    {
        string nodeName = $"n{_counter++}_{op}";
        _nodes.Message(1, n =>
        {
            foreach (var input in inputs) n.String(1, input);
            foreach (var output in outputs) n.String(2, output);
            n.String(3, nodeName);
            n.String(4, op);
            foreach (var (name, value) in attributes)
                n.Message(5, a => Attribute(a, name, value));
        });
    }

    private static void Attribute(OnnxProtoWriter a, string name, object value)
    {
        a.String(1, name);
        switch (value)
        {
            case float f: a.Float(2, f); a.Int64(20, 1); break;
            case double d: a.Float(2, (float)d); a.Int64(20, 1); break;
            case int i: a.Int64(3, i); a.Int64(20, 2); break;
            case long l: a.Int64(3, l); a.Int64(20, 2); break;
            case string s: a.String(4, s); a.Int64(20, 3); break;
            case float[] floats:
                foreach (float item in floats) a.Float(7, item);
                a.Int64(20, 6);
                break;
            case long[] list:
                foreach (long item in list) a.Int64(8, item);
                a.Int64(20, 7);
                break;
            default: throw new ArgumentException($"Unsupported ONNX attribute {name} of type {value?.GetType().Name ?? "null"}.");
        }
    }

    /// <summary>Adds a float32 initializer holding <paramref name="value"/> (copied to the CPU).</summary>
    /// <param name="name">Its name; must be new.</param>
    /// <param name="value">The tensor.</param>
    /// <returns><paramref name="name"/>.</returns>
    public string Weight(string name, Tensor value)
    {
        using var cpu = value.detach().to(ScalarType.Float32).cpu().contiguous();
        var data = cpu.data<float>().ToArray();
        if (!_initializerNames.Add(name))
            throw new InvalidOperationException($"The ONNX graph already has an initializer named '{name}'.");
        AddInitializer(name, cpu.shape, FloatType, MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
        return name;
    }

    /// <summary>A float32 constant of the given shape, named after its content (stored once).</summary>
    public string Floats(float[] values, params long[] dims)
    {
        string name = "const_f_" + string.Join('_', dims) + "_" + ContentKey(MemoryMarshal.AsBytes(values.AsSpan()));
        if (_initializerNames.Add(name))
            AddInitializer(name, dims, FloatType, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return name;
    }

    /// <summary>A float32 scalar constant.</summary>
    public string Scalar(float value) => Floats([value]);

    /// <summary>A 1-D int64 constant (shapes, axes, indices), named after its content.</summary>
    public string Int64s(params long[] values)
    {
        string name = "const_i64_" + string.Join('_', values.Select(v => v.ToString(CultureInfo.InvariantCulture).Replace('-', 'm')));
        if (name.Length > 96) name = "const_i64_" + ContentKey(MemoryMarshal.AsBytes(values.AsSpan()));
        if (_initializerNames.Add(name))
            AddInitializer(name, [values.Length], Int64Type, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        return name;
    }

    /// <summary>A 0-D int64 constant.</summary>
    public string Int64Scalar(long value)
    {
        string name = "const_i64_scalar_" + value.ToString(CultureInfo.InvariantCulture).Replace('-', 'm');
        if (_initializerNames.Add(name))
            AddInitializer(name, [], Int64Type, BitConverter.GetBytes(value));
        return name;
    }

    private static string ContentKey(ReadOnlySpan<byte> bytes)
        => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes), 0, 8).ToLowerInvariant();

    private void AddInitializer(string name, long[] dims, int type, byte[] raw)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("The ONNX writer writes little-endian raw data only.");
        _initializers.Message(5, t =>
        {
            foreach (long dim in dims) t.Int64(1, dim);
            t.Int64(2, type);
            t.String(8, name);
            t.Bytes(9, raw);
        });
    }

    // ---- Shorthands for the operators the exporters use most ----

    /// <summary>Conv with the kernel taken from <paramref name="weight"/>'s shape ([out, in/groups, k...]).</summary>
    /// <param name="x">Input [N, C, spatial...].</param>
    /// <param name="weight">Initializer name of the weight.</param>
    /// <param name="kernel">The kernel's spatial dims.</param>
    /// <param name="bias">Initializer name of the bias, or null.</param>
    /// <param name="strides">Strides per spatial dim (null = 1).</param>
    /// <param name="pads">Begin pads then end pads per spatial dim (null = 0), as ONNX orders them.</param>
    /// <param name="groups">Groups.</param>
    public string Conv(string x, string weight, long[] kernel, string? bias = null, long[]? strides = null, long[]? pads = null, long groups = 1)
    {
        var attributes = new List<(string, object)> { ("kernel_shape", kernel) };
        if (strides is not null) attributes.Add(("strides", strides));
        if (pads is not null) attributes.Add(("pads", pads));
        if (groups != 1) attributes.Add(("group", groups));
        return Node("Conv", bias is null ? [x, weight] : [x, weight, bias], null, [.. attributes]);
    }

    /// <summary>BatchNormalization in inference mode from the state-dict entries <c>{prefix}.weight/bias/running_mean/running_var</c>.</summary>
    public string BatchNorm(string x, string prefix, Func<string, Tensor> state, double eps)
        => Node("BatchNormalization",
            [x, Weight(prefix + ".weight", state(prefix + ".weight")), Weight(prefix + ".bias", state(prefix + ".bias")),
             Weight(prefix + ".running_mean", state(prefix + ".running_mean")), Weight(prefix + ".running_var", state(prefix + ".running_var"))],
            null, ("epsilon", (float)eps));

    /// <summary>x · Wᵀ + b for a PyTorch Linear stored as <c>{prefix}.weight</c> [out, in] (and <c>{prefix}.bias</c> when present).</summary>
    public string Linear(string x, string prefix, Func<string, Tensor> state, bool bias = true, string? output = null)
    {
        var product = Node("MatMul", [x, Weight(prefix + ".weight.T", state(prefix + ".weight").t())]);
        return bias ? Node("Add", [product, Weight(prefix + ".bias", state(prefix + ".bias"))], output)
            : output is null ? product : Node("Identity", [product], output);
    }

    /// <summary>An elementwise unary operator.</summary>
    public string Unary(string op, string x) => Node(op, [x]);

    /// <summary>Relu.</summary>
    public string Relu(string x) => Node("Relu", [x]);

    /// <summary>a + b (broadcasting).</summary>
    public string Add(string a, string b, string? output = null) => Node("Add", [a, b], output);

    /// <summary>a · b (broadcasting).</summary>
    public string Mul(string a, string b, string? output = null) => Node("Mul", [a, b], output);

    /// <summary>Reshape to a constant shape (0 = keep that dim, −1 = infer).</summary>
    public string Reshape(string x, params long[] shape) => Node("Reshape", [x, Int64s(shape)]);

    /// <summary>Transpose by <paramref name="perm"/>.</summary>
    public string Transpose(string x, params long[] perm) => Node("Transpose", [x], null, ("perm", perm));

    /// <summary>Concat along <paramref name="axis"/>.</summary>
    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, null, ("axis", axis));

    /// <summary>x[start:end] along <paramref name="axis"/> (step 1 unless given).</summary>
    public string Slice(string x, long axis, long start, long end, long step = 1)
        => Node("Slice", step == 1 ? [x, Int64s(start), Int64s(end), Int64s(axis)] : [x, Int64s(start), Int64s(end), Int64s(axis), Int64s(step)]);

    /// <summary>ReduceMean over <paramref name="axes"/> (opset 17: axes as an attribute).</summary>
    public string ReduceMean(string x, long[] axes, bool keepDims)
        => Node("ReduceMean", [x], null, ("axes", axes), ("keepdims", keepDims ? 1L : 0L));

    /// <summary>Zero padding: <paramref name="pads"/> lists the begin pads of every axis, then the end pads.</summary>
    public string Pad(string x, params long[] pads) => pads.All(p => p == 0) ? x : Node("Pad", [x, Int64s(pads)]);

    /// <summary>Writes the model to <paramref name="path"/> (through a temporary file, so a failure leaves no half-written model).</summary>
    /// <param name="path">The .onnx file.</param>
    /// <param name="graphName">The graph's name.</param>
    /// <param name="metadata">metadata_props of the model.</param>
    /// <param name="opset">The default-domain opset.</param>
    public void Save(string path, string graphName, IReadOnlyDictionary<string, string>? metadata = null, int opset = DefaultOpset)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);
        string temp = path + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
                WriteTo(file, graphName, metadata, opset);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// <summary>The model as bytes (small graphs, tests).</summary>
    public byte[] ToBytes(string graphName, IReadOnlyDictionary<string, string>? metadata = null, int opset = DefaultOpset)
    {
        using var stream = new MemoryStream();
        WriteTo(stream, graphName, metadata, opset);
        return stream.ToArray();
    }

    private void WriteTo(Stream destination, string graphName, IReadOnlyDictionary<string, string>? metadata, int opset)
    {
        var header = new OnnxProtoWriter();
        header.Int64(1, 8);                                                    // ir_version
        header.String(2, "MLNetVideo");                                        // producer_name
        header.String(3, typeof(OnnxGraph).Assembly.GetName().Version?.ToString() ?? "0");
        header.Message(8, o => { o.String(1, ""); o.Int64(2, opset); });     // opset_import
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            header.Message(14, e => { e.String(1, key); e.String(2, value); });   // metadata_props
        header.CopyTo(destination);
        var rest = new OnnxProtoWriter();
        rest.String(2, graphName);
        foreach (var (name, dims) in _inputs)
            rest.Message(11, v => ValueInfo(v, name, dims));
        foreach (var (name, dims) in _outputs)
            rest.Message(12, v => ValueInfo(v, name, dims));
        OnnxProtoWriter.WriteField(destination, 7, [_nodes, _initializers, rest]);   // graph
    }

    private static void ValueInfo(OnnxProtoWriter v, string name, long[] dims)
    {
        v.String(1, name);
        v.Message(2, type => type.Message(1, tensor =>
        {
            tensor.Int64(1, FloatType);
            tensor.Message(2, shape =>
            {
                foreach (long dim in dims)
                    shape.Message(1, dimension =>
                    {
                        if (dim == -1) dimension.String(2, "batch");
                        else if (dim < 0) dimension.String(2, "d" + (-dim).ToString(CultureInfo.InvariantCulture));
                        else dimension.Int64(1, dim);
                    });
            });
        }));
    }
}
