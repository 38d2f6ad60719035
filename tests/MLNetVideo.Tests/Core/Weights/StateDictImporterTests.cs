using MLNetVideo.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace MLNetVideo.Tests.Core.Weights;

[TestClass]
public sealed class StateDictImporterTests
{
    [TestInitialize]
    public void Seed() => torch.manual_seed(11);

    private static nn.Module<Tensor, Tensor> TwoLinears(long hidden, long outputs, long inputs = 5)
        => nn.Sequential(("lin1", nn.Linear(inputs, hidden, hasBias: false)), ("lin2", nn.Linear(hidden, outputs, hasBias: false)));

    [TestMethod]
    public void RealSafetensors_IntoSequential_ExactReport_AndOutput220()
    {
        var path = WeightsTestData.Checkpoint("module_load.safetensors");
        using var network = TwoLinears(hidden: 2, outputs: 2);

        var report = StateDictImporter.LoadFile(network, path);

        Assert.IsTrue(report.IsExact, report.ToString());
        CollectionAssert.AreEqual(new[] { "lin1.weight", "lin2.weight" }, report.Loaded.ToArray());
        Assert.IsEmpty(report.Missing);
        Assert.IsEmpty(report.Unexpected);
        Assert.IsEmpty(report.ShapeMismatches);
        Assert.IsEmpty(report.SkippedOnPurpose);
        using var input = torch.full(1, 5, 11f);
        using var output = network.call(input);
        CollectionAssert.AreEqual(new[] { 220f, 220f }, output.data<float>().ToArray());
    }

    [TestMethod]
    public void RealSafetensors_WithRenamingMapping_ExactReportUnderNewNames()
    {
        var path = WeightsTestData.Checkpoint("module_load.safetensors");
        using var network = nn.Sequential(("encoder", nn.Sequential(
            ("fc1", nn.Linear(5, 2, hasBias: false)), ("fc2", nn.Linear(2, 2, hasBias: false)))));

        var report = StateDictImporter.LoadFile(network, path, KeyMapping.RenameRegex(@"lin(\d)\.(.*)", "encoder.fc$1.$2"));

        Assert.IsTrue(report.IsExact, report.ToString());
        CollectionAssert.AreEqual(new[] { "encoder.fc1.weight", "encoder.fc2.weight" }, report.Loaded.ToArray());
        Assert.AreEqual("2 loaded, 0 missing, 0 unexpected, 0 shape mismatches, 0 type mismatches, 0 skipped", report.ToString());
        StringAssert.StartsWith(report.Describe("module_load.safetensors", "Sequential"), "Checkpoint 'module_load.safetensors' fits Sequential: 2 loaded.");
        using var input = torch.full(1, 5, 11f);
        using var output = network.call(input);
        CollectionAssert.AreEqual(new[] { 220f, 220f }, output.data<float>().ToArray());
    }

    [TestMethod]
    public void RealPyTorchCheckpoint_IntoSequential_Output5()
    {
        var path = WeightsTestData.Checkpoint("module_load.pth");
        using var network = TwoLinears(hidden: 1, outputs: 2);

        var report = StateDictImporter.LoadFile(network, path);

        Assert.IsTrue(report.IsExact, report.ToString());
        Assert.HasCount(2, report.Loaded);
        using var input = torch.ones(1, 5);
        using var output = network.call(input);
        CollectionAssert.AreEqual(new[] { 5f, 5f }, output.data<float>().ToArray());
    }

    [TestMethod]
    public void DataParallelPrefix_IsRefusedWithTheFix_ThenLoadsWithStripPrefix()
    {
        var source = SafeTensorsReader.ReadAll(WeightsTestData.Checkpoint("module_load.safetensors"))
            .ToDictionary(kv => "module." + kv.Key, kv => kv.Value);
        using var network = TwoLinears(hidden: 2, outputs: 2);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => StateDictImporter.LoadInto(network, source, sourceName: "ddp.safetensors"));

        StringAssert.Contains(e.Message, "Checkpoint 'ddp.safetensors' does not fit Sequential: 0 loaded, 2 missing (lin1.weight, lin2.weight), 2 unexpected (module.lin1.weight, module.lin2.weight)");
        StringAssert.Contains(e.Message, "use the mapping KeyMapping.StripPrefix(\"module.\")");
        var report = StateDictImporter.LoadInto(network, source, KeyMapping.StripPrefix("module."));
        Assert.IsTrue(report.IsExact, report.ToString());
        Assert.AreEqual(2f, network.state_dict()["lin2.weight"][1, 1].item<float>());
    }

    [TestMethod]
    public void ShapeMismatch_IsRefusedEvenWhenPartial_AndLeavesTheNetworkUnchanged()
    {
        var source = SafeTensorsReader.ReadAll(WeightsTestData.Checkpoint("module_load.safetensors"));
        using var network = TwoLinears(hidden: 2, outputs: 3);
        var before = network.state_dict()["lin1.weight"].data<float>().ToArray();

        var e = Assert.ThrowsExactly<InvalidDataException>(
            () => StateDictImporter.LoadInto(network, source, options: new ImportOptions { AllowPartial = true }));

        StringAssert.Contains(e.Message, "1 with another shape (lin2.weight: expected [3, 2], got [2, 2])");
        StringAssert.Contains(e.Message, "ReinitializeHead = true");
        CollectionAssert.AreEqual(before, network.state_dict()["lin1.weight"].data<float>().ToArray(), "A refused import copies nothing.");
    }

    [TestMethod]
    public void ReinitializeHead_LoadsTheBackbone_AndSkipsTheHead()
    {
        var source = SafeTensorsReader.ReadAll(WeightsTestData.Checkpoint("module_load.safetensors"));
        using var network = TwoLinears(hidden: 2, outputs: 3);
        var options = new ImportOptions
        {
            ReinitializeHead = true,
            HeadKeys = ["lin2.weight"],
            HeadInitializer = (_, tensor) => tensor.fill_(0.5f),
        };

        var report = StateDictImporter.LoadInto(network, source, options: options);

        Assert.IsTrue(report.IsExact, report.ToString());
        CollectionAssert.AreEqual(new[] { "lin1.weight" }, report.Loaded.ToArray());
        CollectionAssert.AreEqual(new[] { "lin2.weight" }, report.SkippedOnPurpose.ToArray());
        using var output = network.call(torch.ones(1, 5));
        CollectionAssert.AreEqual(new[] { 5f, 5f, 5f }, output.data<float>().ToArray());   // lin1: 5, 5 → lin2 (0.5): 5 each
    }

    [TestMethod]
    public void ReinitializeHead_WithUnknownKey_IsAnArgumentError()
    {
        using var network = TwoLinears(hidden: 2, outputs: 2);
        var options = new ImportOptions { ReinitializeHead = true, HeadKeys = ["fc.weight"] };

        var e = Assert.ThrowsExactly<ArgumentException>(
            () => StateDictImporter.LoadInto(network, new Dictionary<string, TensorData>(), options: options));

        StringAssert.Contains(e.Message, "HeadKeys names keys the network does not have: fc.weight");
    }

    [TestMethod]
    public void AllowPartial_ReportsMissingAndUnexpected_AndLoadsTheRest()
    {
        var source = new Dictionary<string, TensorData>(SafeTensorsReader.ReadAll(WeightsTestData.Checkpoint("module_load.safetensors")))
        {
            ["extra.weight"] = TensorData.Zeros(TensorDType.Float32, 1),
        };
        using var network = nn.Sequential(
            ("lin1", nn.Linear(5, 2, hasBias: false)), ("lin2", nn.Linear(2, 2, hasBias: false)), ("lin3", nn.Linear(2, 2, hasBias: false)));

        var exact = Assert.ThrowsExactly<InvalidDataException>(() => StateDictImporter.LoadInto(network, source));
        StringAssert.Contains(exact.Message, "1 missing (lin3.weight), 1 unexpected (extra.weight)");
        StringAssert.Contains(exact.Message, "AllowPartial = true");

        var report = StateDictImporter.LoadInto(network, source, options: new ImportOptions { AllowPartial = true });
        CollectionAssert.AreEqual(new[] { "lin1.weight", "lin2.weight" }, report.Loaded.ToArray());
        CollectionAssert.AreEqual(new[] { "lin3.weight" }, report.Missing.ToArray());
        CollectionAssert.AreEqual(new[] { "extra.weight" }, report.Unexpected.ToArray());
        Assert.IsFalse(report.IsExact);
        Assert.AreEqual(1f, network.state_dict()["lin1.weight"][0, 0].item<float>());
    }

    [TestMethod]
    public void NothingMatches_IsRefusedEvenWhenPartial()
    {
        using var network = TwoLinears(hidden: 2, outputs: 2);
        var source = new Dictionary<string, TensorData> { ["encoder.w"] = TensorData.Zeros(TensorDType.Float32, 2) };

        var e = Assert.ThrowsExactly<InvalidDataException>(
            () => StateDictImporter.LoadInto(network, source, options: new ImportOptions { AllowPartial = true }));

        StringAssert.Contains(e.Message, "No key of checkpoint 'checkpoint' matches Sequential");
    }

    [TestMethod]
    public void Float16Weights_AreCastIntoFloat32Network_ButIntegerMismatchIsRefused()
    {
        using var network = nn.Linear(2, 1, hasBias: false);
        var half = new Dictionary<string, TensorData>
        {
            ["weight"] = new(TensorDType.Float16, [1, 2], WeightsTestData.Bytes((Half)1.5f, (Half)(-2f))),
        };

        var report = StateDictImporter.LoadInto(network, half);

        Assert.IsTrue(report.IsExact, report.ToString());
        CollectionAssert.AreEqual(new[] { 1.5f, -2f }, network.weight!.data<float>().ToArray());

        var ints = new Dictionary<string, TensorData> { ["weight"] = new(TensorDType.Int32, [1, 2], WeightsTestData.Bytes(1, 2)) };
        var e = Assert.ThrowsExactly<InvalidDataException>(() => StateDictImporter.LoadInto(network, ints));
        StringAssert.Contains(e.Message, "weight: expected F32, got I32");
    }

    [TestMethod]
    public void ClipStyleFusedAttention_IsSplitIntoSeparateProjections()
    {
        // A fused in_proj (rows q|k|v) as OpenAI CLIP stores it, loaded into separate q/k/v Linear layers.
        var weight = Enumerable.Range(0, 12 * 4).Select(i => (float)i).ToArray();
        var bias = Enumerable.Range(100, 12).Select(i => (float)i).ToArray();
        var source = new Dictionary<string, TensorData>
        {
            ["visual.attn.in_proj_weight"] = new(TensorDType.Float32, [12, 4], WeightsTestData.Bytes(weight)),
            ["visual.attn.in_proj_bias"] = new(TensorDType.Float32, [12], WeightsTestData.Bytes(bias)),
        };
        using var network = nn.Sequential(("attn", nn.Sequential(
            ("q_proj", nn.Linear(4, 4)), ("k_proj", nn.Linear(4, 4)), ("v_proj", nn.Linear(4, 4)))));
        var mapping = KeyMapping.StripPrefix("visual.")
            .Then(KeyMapping.Split(@"(.*)\.in_proj_(weight|bias)", ["$1.q_proj.$2", "$1.k_proj.$2", "$1.v_proj.$2"]));

        var report = StateDictImporter.LoadInto(network, source, mapping);

        Assert.IsTrue(report.IsExact, report.ToString());
        Assert.HasCount(6, report.Loaded);
        var state = network.state_dict();
        CollectionAssert.AreEqual(weight[16..32], state["attn.k_proj.weight"].data<float>().ToArray());
        CollectionAssert.AreEqual(bias[8..12], state["attn.v_proj.bias"].data<float>().ToArray());
    }
}
