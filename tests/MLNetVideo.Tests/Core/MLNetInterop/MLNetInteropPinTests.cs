using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Interop;

namespace MLNetVideo.Tests.Core.MLNetInterop;

/// <summary>The interop layer relies on ML.NET internals; these tests fail loudly when an upgrade moves them.</summary>
[TestClass]
public sealed class MLNetInteropPinTests
{
    [TestMethod]
    public void MicrosoftML_Is5_0_1()
    {
        var version = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion;
        StringAssert.StartsWith(version, "5.0.1", "MLNetInterop was written against ML.NET 5.0.1; re-check src/Core/MLNetInterop before upgrading.");
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
