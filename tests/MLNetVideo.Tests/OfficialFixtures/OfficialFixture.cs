using System.Text.Json;
using MLNetVideo.Weights;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.OfficialFixtures;

/// <summary>
/// One golden fixture of tests/OfficialFixtures (written by generate_official_fixtures.py from the papers' official code):
/// the official key list, the released container, and the official outputs on a deterministic input. The tensors are
/// rebuilt here by the rule documented in that folder's README, so no weights are stored.
/// </summary>
internal sealed class OfficialFixture
{
    private const int Period = 10007;
    private readonly JsonElement _root;

    private OfficialFixture(string name, JsonElement root)
    {
        Name = name;
        _root = root;
        Keys = root.GetProperty("keys").EnumerateArray()
            .Select(k => new FixtureKey(k.GetProperty("key").GetString()!, k.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                ParseDType(k.GetProperty("dtype").GetString()!)))
            .ToList();
    }

    public string Name { get; }

    /// <summary>The official state dict's keys, shapes and dtypes, in order.</summary>
    public IReadOnlyList<FixtureKey> Keys { get; }

    public JsonElement Container => _root.GetProperty("container");

    public string Format => Container.GetProperty("format").GetString()!;

    public string Prefix => Container.TryGetProperty("prefix", out var p) ? p.GetString()! : "";

    /// <summary>The dict key holding the state dict when the container wraps it (<c>state_dict</c>, <c>model</c>), else null.</summary>
    public string? Entry => Container.TryGetProperty("entry", out var e) ? e.GetString() : null;

    public long[] InputShape => Shape(_root.GetProperty("input"));

    public long[] OutputShape => Shape(_root.GetProperty("output"));

    public float[] Output => Values(_root.GetProperty("output"));

    /// <summary>An optional extra array (for example <c>stream_output</c>).</summary>
    public float[] Extra(string name) => Values(_root.GetProperty(name));

    public static OfficialFixture Load(string name)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "OfficialFixtures", name + ".json");
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return new OfficialFixture(name, doc.RootElement.Clone());
    }

    /// <summary>The checkpoint tensors by the fixture rule, in official order, with official names (no container prefix).</summary>
    public List<KeyValuePair<string, TensorData>> StateDict()
    {
        var result = new List<KeyValuePair<string, TensorData>>(Keys.Count);
        for (int p = 0; p < Keys.Count; p++)
            result.Add(new(Keys[p].Key, RuleTensor(Keys[p], p)));
        return result;
    }

    /// <summary>The fixture's input [shape] by the input rule.</summary>
    public Tensor Input()
    {
        var shape = InputShape;
        long n = shape.Aggregate(1L, (a, b) => a * b);
        var values = new float[n];
        for (long i = 0; i < n; i++)
            values[i] = (float)(0.8 * Math.Sin((0.11 * (i % Period)) + 0.3));
        return tensor(values).reshape(shape);
    }

    /// <summary>Writes the checkpoint in the released container under <paramref name="folder"/> and returns its path.</summary>
    public string WriteCheckpoint(string folder)
    {
        var stateDict = StateDict();
        string prefix = Prefix;
        var prefixed = prefix.Length == 0 ? stateDict : stateDict.Select(kv => new KeyValuePair<string, TensorData>(prefix + kv.Key, kv.Value)).ToList();
        string path = Path.Combine(folder, Name + Format switch { "safetensors" => ".safetensors", "torchscript" => ".pt", _ => ".pth" });
        var format = Format == "legacy-pickle" ? PyTorchCheckpointFormat.Legacy : PyTorchCheckpointFormat.Zip;
        switch (Format)
        {
            case "safetensors":
                SafeTensorsWriter.Write(path, prefixed.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
                break;
            case "torchscript":
                TorchScriptArchiveWriter.Write(path, prefixed);
                break;
            default:
                if (Entry is null)
                {
                    PyTorchCheckpointWriter.WriteStateDict(path, prefixed, format);
                }
                else
                {
                    var root = new List<KeyValuePair<string, object?>>();
                    if (Container.TryGetProperty("extras", out var extras))
                    {
                        foreach (var extra in extras.EnumerateObject())
                            root.Add(new(extra.Name, extra.Value.ValueKind == JsonValueKind.String ? extra.Value.GetString()
                                : extra.Value.TryGetInt64(out long l) ? l : extra.Value.GetDouble()));
                    }
                    root.Insert(Math.Min(2, root.Count), new(Entry, prefixed));
                    PyTorchCheckpointWriter.Write(path, root, format);
                }
                break;
        }
        return path;
    }

    /// <summary>Asserts max |actual − expected| ≤ 1e-4 · max |expected| (and the shapes).</summary>
    public static void AssertClose(float[] expected, Tensor actual, string what, double relative = 1e-4)
    {
        var values = actual.detach().cpu().to(ScalarType.Float32).contiguous().data<float>().ToArray();
        Assert.AreEqual(expected.Length, values.Length, $"{what}: element count");
        double scale = expected.Max(v => Math.Abs((double)v));
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(values[i] - (double)expected[i]));
        Assert.IsTrue(scale > 1e-3, $"{what}: the official outputs are all near zero (max {scale}), which could not tell implementations apart");
        Assert.IsTrue(worst <= relative * scale, $"{what}: max |difference| {worst:G4} exceeds {relative:G2} × max |official| {scale:G4}");
    }

    /// <summary>The fixture rule (see tests/OfficialFixtures/README.md) for the tensor at <paramref name="position"/>.</summary>
    public static TensorData RuleTensor(FixtureKey key, int position)
    {
        long n = key.Shape.Aggregate(1L, (a, b) => a * b);
        int itemSize = key.DType.ItemSize();
        var bytes = new byte[n * itemSize];
        if (!key.DType.IsFloatingPoint())
        {
            if (key.DType != TensorDType.Int64)
                throw new NotSupportedException($"The fixture rule writes integers as int64 only; {key.Key} is {key.DType}.");
            var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(bytes.AsSpan());
            longs.Fill(position);
            return new TensorData(key.DType, key.Shape, bytes);
        }
        // s depends on i only through i mod 10007: one table of sines per tensor.
        var table = new double[Math.Min(n, Period)];
        for (int j = 0; j < table.Length; j++)
        {
            double s = Math.Sin((0.61 * j) + (1.7 * (position + 1)));
            table[j] = key.Key.EndsWith("running_var", StringComparison.Ordinal) ? 0.75 + (0.25 * s)
                : key.Key.EndsWith("running_mean", StringComparison.Ordinal) ? 0.1 * s
                : key.Shape.Length >= 2 ? s / Math.Sqrt((double)n / key.Shape[0])
                : key.Key.EndsWith("weight", StringComparison.Ordinal) ? 1 + (0.1 * s)
                : 0.1 * s;
        }
        // Element i is table[i mod Period]: one period is converted, then copied over the rest (a ViT-B/16 checkpoint holds
        // 86 M values; converting each one took about a second per checkpoint).
        switch (key.DType)
        {
            case TensorDType.Float32:
                FillPeriodically(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan()), table.Select(v => (float)v).ToArray());
                break;
            case TensorDType.Float16:
                // As torch casts float64 to float16: through float32 (two roundings).
                FillPeriodically(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(bytes.AsSpan()), table.Select(v => (Half)(float)v).ToArray());
                break;
            default:
                throw new NotSupportedException($"The fixture rule has no {key.DType} writer ({key.Key}).");
        }
        return new TensorData(key.DType, key.Shape, bytes);
    }

    /// <summary>Writes <paramref name="period"/> over <paramref name="target"/> again and again (the last copy cut short).</summary>
    private static void FillPeriodically<T>(Span<T> target, T[] period)
    {
        for (int start = 0; start < target.Length; start += period.Length)
            period.AsSpan(0, Math.Min(period.Length, target.Length - start)).CopyTo(target[start..]);
    }

    private static long[] Shape(JsonElement e) => e.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();

    private static float[] Values(JsonElement e) => e.GetProperty("values").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static TensorDType ParseDType(string name) => name switch
    {
        "float32" => TensorDType.Float32,
        "float16" => TensorDType.Float16,
        "int64" => TensorDType.Int64,
        _ => throw new NotSupportedException($"Fixture dtype {name}."),
    };
}
