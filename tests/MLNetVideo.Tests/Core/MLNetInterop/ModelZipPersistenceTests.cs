using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Persistence;
using MLNetVideo.TestComponents;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Interop;

namespace MLNetVideo.Tests.Core.MLNetInterop;

/// <summary>
/// The foundation's persistence promise, pinned to ML.NET 5.0.1 here and to 6.0.0 in MLNetVideo.Tests.MLNet6: a TorchSharp-backed MLNetVideo
/// transformer placed after MapValueToKey saves with mlContext.Model.Save and loads with
/// mlContext.Model.Load in a fresh MLContext and in a fresh process, weights inside the zip.
/// </summary>
[TestClass]
public sealed class ModelZipPersistenceTests
{
    private static readonly Row[] Rows =
    [
        new() { Features = [1f, 0f, 0.5f], Label = "a" },
        new() { Features = [0f, 1f, -0.5f], Label = "b" },
        new() { Features = [0.9f, 0.1f, 0.4f], Label = "a" },
        new() { Features = [0.2f, 0.8f, -0.3f], Label = "c" },
    ];

    public sealed class Row
    {
        [VectorType(3)] public float[] Features { get; set; } = [];
        public string Label { get; set; } = "";
    }

    public sealed class Prediction
    {
        [VectorType(3)] public float[] Output { get; set; } = [];
    }

    private static (MLContext MLContext, IDataView Data, ITransformer Model) Fit()
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Rows);
        var pipeline = mlContext.Transforms.Conversion.MapValueToKey("LabelKey", "Label")
            .Append(new TinyLinearEstimator(mlContext, "Features", "LabelKey", "Output"));
        return (mlContext, data, pipeline.Fit(data));
    }

    private static float[][] Outputs(MLContext mlContext, ITransformer model, IDataView data)
        => mlContext.Data.CreateEnumerable<Prediction>(model.Transform(data), reuseRowObject: false).Select(p => p.Output).ToArray();

    [TestMethod]
    public void SaveThenLoad_InFreshMLContext_GivesIdenticalOutputs_AndWeightsLiveInTheZip()
    {
        using var folder = new TempFolder();
        var (mlContext, data, model) = Fit();
        var before = Outputs(mlContext, model, data);
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        // Weights are an entry of the zip, not a file beside it.
        Assert.AreEqual(1, Directory.GetFiles(folder.Path).Length);
        var entries = ZipEditing.EntryNames(zip);
        Assert.IsTrue(entries.Any(e => e.EndsWith("/Weights.bin", StringComparison.Ordinal)), string.Join(", ", entries));
        Assert.IsTrue(entries.Any(e => e.EndsWith("/Settings.json", StringComparison.Ordinal)), string.Join(", ", entries));

        var fresh = new MLContext(seed: 99);
        var loaded = fresh.Model.Load(zip, out var schema);
        Assert.AreEqual("Features", schema["Features"].Name);
        var after = Outputs(fresh, loaded, fresh.Data.LoadFromEnumerable(Rows));

        Assert.AreEqual(before.Length, after.Length);
        for (int i = 0; i < before.Length; i++)
            CollectionAssert.AreEqual(before[i], after[i], $"row {i}");
        // The fitted layer is not the identity: outputs depend on the trained weights.
        Assert.AreNotEqual(before[0][0], before[1][0]);
    }

    [TestMethod]
    public void PredictionEngine_OnLoadedModel_Predicts()
    {
        using var folder = new TempFolder();
        var (mlContext, data, model) = Fit();
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        var expected = Outputs(mlContext, model, data)[1];

        var fresh = new MLContext();
        var loaded = fresh.Model.Load(zip, out _);
        var engine = fresh.Model.CreatePredictionEngine<Row, Prediction>(loaded);
        var prediction = engine.Predict(Rows[1]);
        CollectionAssert.AreEqual(expected, prediction.Output);
    }

    [TestMethod, TestCategory("Process")]
    public void FreshProcess_ThatNeverCallsMLNetVideo_LoadsTheZip()
    {
        using var folder = new TempFolder();
        var (mlContext, data, model) = Fit();
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        var expected = Outputs(mlContext, model, data);

        var output = RunConsumer([zip, "Features", "Output", .. Rows.Select(row => RowText(row.Features))]);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.AreEqual(expected.Length, lines.Length, output);
        for (int i = 0; i < lines.Length; i++)
            CollectionAssert.AreEqual(expected[i], lines[i].Split(',').Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray(), $"row {i}");
    }

    [TestMethod]
    public void FlippedByteInWeights_IsRefusedWithAClearError()
    {
        using var folder = new TempFolder();
        var (mlContext, data, model) = Fit();
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        ZipEditing.Rewrite(zip, n => n.EndsWith("/Weights.bin", StringComparison.Ordinal), bytes =>
        {
            bytes[bytes.Length - 3] ^= 0x40;
            return bytes;
        });

        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, out _));
        var cause = Exceptions.Find<InvalidDataException>(e);
        Assert.IsNotNull(cause, e.ToString());
        StringAssert.Contains(cause.Message, "'Weights.bin'");
        StringAssert.Contains(cause.Message, "damaged or was modified");
    }

    [TestMethod]
    public void NewerFormatVersion_IsRefusedNamingBothVersions()
    {
        using var folder = new TempFolder();
        var (mlContext, data, model) = Fit();
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        ZipEditing.Rewrite(zip, IsOurModelKey(zip), bytes =>
        {
            // Our payload starts with the magic "MLNV" then the format version (ML.NET's header also holds "MLNVXFRM").
            int at = ZipEditing.IndexOf(bytes, [.. "MLNV"u8.ToArray(), .. BitConverter.GetBytes(ModelZip.FormatVersion)]);
            Assert.IsTrue(at >= 0, "magic not found");
            BitConverter.GetBytes(ModelZip.FormatVersion + 1).CopyTo(bytes, at + 4);
            return bytes;
        });

        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, out _));
        var cause = Exceptions.Find<InvalidDataException>(e);
        Assert.IsNotNull(cause, e.ToString());
        StringAssert.Contains(cause.Message, $"format version {ModelZip.FormatVersion + 1}");
        StringAssert.Contains(cause.Message, $"reads versions 1 to {ModelZip.FormatVersion}");
    }

    [TestMethod]
    public void UnknownComponentId_IsRefused()
    {
        using var folder = new TempFolder();
        var (mlContext, data, model) = Fit();
        var zip = folder.File("model.zip");
        mlContext.Model.Save(model, data.Schema, zip);
        ZipEditing.Rewrite(zip, IsOurModelKey(zip), bytes =>
        {
            var id = Encoding.UTF8.GetBytes(TinyLinearTransformer.Id);
            int at = ZipEditing.IndexOf(bytes, id);
            bytes[at + id.Length - 1] = (byte)'X';
            return bytes;
        });

        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, out _));
        var cause = Exceptions.Find<InvalidDataException>(e);
        Assert.IsNotNull(cause, e.ToString());
        StringAssert.Contains(cause.Message, "MLNetVideo.Tests.TinyLineaX");
        StringAssert.Contains(cause.Message, "is not known to MLNetVideo.TestComponents");
    }

    [TestMethod]
    public void EntryNames_ThatCouldEscapeTheFolder_AreRefusedAtSave()
    {
        foreach (var bad in new[] { "../x", "a/b", "", "..", "c:\\x" })
        {
            var writer = (ModelEntryWriter)Activator.CreateInstance(typeof(ModelEntryWriter),
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance, null,
                [new Action<string, byte[]>((_, _) => Assert.Fail("must not write"))], null)!;
            var e = Assert.ThrowsExactly<ArgumentException>(() => writer.WriteBytes(bad, [1]));
            StringAssert.Contains(e.Message, "is not allowed");
        }
    }

    private static Func<string, bool> IsOurModelKey(string zip)
    {
        // The transformer after MapValueToKey is the chain's second entry; find the Model.key beside our Weights.bin.
        var weights = ZipEditing.EntryNames(zip).Single(n => n.EndsWith("/Weights.bin", StringComparison.Ordinal));
        var modelKey = weights[..weights.LastIndexOf('/')] + "/Model.key";
        return n => n == modelKey;
    }

    /// <summary>A row of floats as the zip consumer reads it (comma-separated, round-trip precision).</summary>
    internal static string RowText(float[] values) => string.Join(",", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    /// <summary>Runs the zip consumer (tests/ZipConsumer, ML.NET 5.0.1, never calling MLNetVideo) in a fresh process with
    /// <paramref name="arguments"/>; fails the test unless it exits 0 within two minutes; returns its standard output.</summary>
    internal static string RunConsumer(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ConsumerPath());
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("consumer process timed out");
        }
        Assert.AreEqual(0, process.ExitCode, stderr.Result);
        return stdout.Result;
    }

    internal static string ConsumerPath()
    {
        // tests/MLNetVideo.Tests/bin/<Configuration>/net10.0/ → tests/ZipConsumer/bin/<Configuration>/net10.0/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var testsRoot = output.Parent!.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(testsRoot, "ZipConsumer", "bin", configuration, output.Name, "MLNetVideo.ZipConsumer.dll");
        Assert.IsTrue(File.Exists(path), $"consumer not built at {path}");
        return path;
    }
}
