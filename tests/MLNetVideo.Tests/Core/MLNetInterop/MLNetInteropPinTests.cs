using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Interop;

namespace MLNetVideo.Tests.Core.MLNetInterop;

/// <summary>The interop layer relies on ML.NET internals; these tests fail loudly when an upgrade moves them.</summary>
[TestClass]
public sealed class MLNetInteropPinTests
{
    /// <summary>The ML.NET versions MLNetInterop is tested on (Directory.Packages.props, MLNetVersion).</summary>
    internal static readonly string[] SupportedVersions = ["5.0.1", "6.0.0"];

    [TestMethod]
    public void MicrosoftML_IsTheVersionThisRunWasBuiltFor_AndOneMLNetInteropSupports()
    {
        var version = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        var expected = typeof(MLNetInteropPinTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "MLNetVersion").Value!;
        CollectionAssert.Contains(SupportedVersions, expected);
        StringAssert.StartsWith(version, expected,
            $"this test run was built for ML.NET {expected}; MLNetInterop is tested on {string.Join(" and ", SupportedVersions)} only: re-check src/Core/MLNetInterop before another.");
    }

    [TestMethod]
    public void LoaderIsRegisteredUnderOurSignature()
    {
        var attributes = typeof(ModelZipBridge).Assembly.GetCustomAttributes()
            .Where(a => a.GetType().Name == "LoadableClassAttribute").ToList();
        Assert.AreEqual(1, attributes.Count);
        var loadNames = (string[])attributes[0].GetType().GetProperty("LoadNames")!.GetValue(attributes[0])!;
        CollectionAssert.Contains(loadNames, ModelZipBridge.LoaderSignature);
    }

    [TestMethod]
    public void SchemaShapeColumns_HaveTheRequestedKinds()
    {
        var vector = SchemaShapes.Column("Clip", new VectorDataViewType(NumberDataViewType.Single, 2, 3));
        Assert.AreEqual(SchemaShape.Column.VectorKind.Vector, vector.Kind);
        Assert.AreEqual(NumberDataViewType.Single, vector.ItemType);
        var key = SchemaShapes.Column("PredictedLabel", new KeyDataViewType(typeof(uint), 4));
        Assert.AreEqual(SchemaShape.Column.VectorKind.Scalar, key.Kind);
        Assert.IsTrue(key.IsKey);
        var variable = SchemaShapes.Column("V", new VectorDataViewType(NumberDataViewType.Single));
        Assert.AreEqual(SchemaShape.Column.VectorKind.VariableVector, variable.Kind);
    }

    [TestMethod]
    public void AppendedColumn_HidesInputColumnOfTheSameName()
    {
        var input = new SchemaShape([SchemaShapes.Column("A", TextDataViewType.Instance), SchemaShapes.Column("B", BooleanDataViewType.Instance)]);
        var output = SchemaShapes.Append(input, SchemaShapes.Column("A", NumberDataViewType.Single));
        Assert.AreEqual(2, output.Count);
        Assert.AreEqual(NumberDataViewType.Single, output.Single(c => c.Name == "A").ItemType);
    }

    [TestMethod]
    public void Log_ReachesMLContextLogSubscribers()
    {
        var mlContext = new MLContext();
        var messages = new List<string>();
        mlContext.Log += (_, e) => messages.Add(e.RawMessage);
        MLNetHost.LogInfo(MLNetHost.From(mlContext.Transforms), "Test", "hello from MLNetVideo");
        CollectionAssert.Contains(messages, "hello from MLNetVideo");
    }
}
