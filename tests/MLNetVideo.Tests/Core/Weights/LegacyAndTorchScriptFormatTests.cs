using System.Text;
using MLNetVideo.Tests.OfficialFixtures;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Weights;

namespace MLNetVideo.Tests.Core.Weights;

/// <summary>
/// The two older containers of published checkpoints through the restricted reader: legacy <c>torch.save</c> pickle
/// streams (pre-1.6; the 2019 S3D and TSM releases) and TorchScript archives (OpenAI's CLIP <c>ViT-*.pt</c>). The files are
/// written by <see cref="PyTorchCheckpointWriter"/> and <see cref="TorchScriptArchiveWriter"/>, whose output was checked
/// once against PyTorch 1.13 (<c>torch.load</c> reads the zip, legacy and wrapped files with the same tensors, and the
/// reader reads a real <c>torch.jit.save</c> archive of OpenAI's CLIP code with every tensor equal).
/// </summary>
[TestClass]
public sealed class LegacyAndTorchScriptFormatTests
{
    private static List<KeyValuePair<string, TensorData>> Sample() =>
    [
        new("conv.weight", new TensorData(TensorDType.Float32, [2, 3], WeightsTestData.Bytes(1f, 2f, 3f, 4f, 5f, 6f))),
        new("conv.bias", new TensorData(TensorDType.Float16, [2], WeightsTestData.Bytes((Half)0.5f, (Half)(-2f)))),
        new("bn.num_batches_tracked", new TensorData(TensorDType.Int64, [], WeightsTestData.Bytes(42L))),
        new("empty", new TensorData(TensorDType.Float32, [0, 4], Array.Empty<byte>())),
    ];

    [TestMethod]
    [DataRow(PyTorchCheckpointFormat.Legacy)]
    [DataRow(PyTorchCheckpointFormat.Zip)]
    public void StateDict_RoundTripsThroughEitherContainer(PyTorchCheckpointFormat format)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.pth");
        PyTorchCheckpointWriter.WriteStateDict(path, Sample(), format);
        Assert.AreEqual(format == PyTorchCheckpointFormat.Legacy ? (byte)0x80 : (byte)'P', File.ReadAllBytes(path)[0]);

        var read = PyTorchCheckpointReader.ReadStateDict(path);

        CollectionAssert.AreEqual(Sample().Select(kv => kv.Key).ToList(), read.Keys.ToList());
        foreach (var (key, expected) in Sample())
        {
            Assert.AreEqual(expected.DType, read[key].DType, key);
            CollectionAssert.AreEqual(expected.Shape.ToArray(), read[key].Shape.ToArray(), key);
            CollectionAssert.AreEqual(expected.Bytes.ToArray(), read[key].Bytes.ToArray(), key);
        }
    }

    [TestMethod]
    public void LegacyWrappedCheckpoint_KeepsItsPlainValues_AndFindsTheStateDict()
    {
        using var folder = new TempFolder();
        var path = folder.File("tsm.pth");
        PyTorchCheckpointWriter.Write(path,
            [new("epoch", 50L), new("arch", "resnet50"), new("state_dict", Sample()), new("best_prec1", 71.2)],
            PyTorchCheckpointFormat.Legacy);

        var checkpoint = PyTorchCheckpointReader.Read(path);

        var root = (CheckpointDictionary)checkpoint.Root!;
        Assert.AreEqual(50L, root["epoch"]);
        Assert.AreEqual("resnet50", root["arch"]);
        Assert.AreEqual(71.2, (double)root["best_prec1"]!, 1e-12);
        Assert.AreEqual(4, checkpoint.GetStateDict().Count, "found under state_dict");
        Assert.IsFalse(checkpoint.IsTorchScript);
    }

    [TestMethod]
    public void LegacyFileSavedFromAGpu_NamesCudaStorages_AndReadsTheSameBytes()
    {
        using var folder = new TempFolder();
        var path = folder.File("gpu.pth");
        PyTorchCheckpointWriter.WriteStateDict(path, Sample(), PyTorchCheckpointFormat.Legacy);
        // GLOBAL is newline-terminated text, so the CUDA type name can be swapped in without any length field changing.
        var bytes = Replace(File.ReadAllBytes(path), "ctorch\nFloatStorage\n", "ctorch.cuda\nFloatStorage\n");
        File.WriteAllBytes(path, bytes);

        var read = PyTorchCheckpointReader.ReadStateDict(path);

        CollectionAssert.AreEqual(Sample()[0].Value.Bytes.ToArray(), read["conv.weight"].Bytes.ToArray());
    }

    [TestMethod]
    public void LegacyFile_ObeysTheReaderLimits()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.pth");
        PyTorchCheckpointWriter.WriteStateDict(path, Sample(), PyTorchCheckpointFormat.Legacy);

        var total = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path, new WeightsReadLimits { MaxTotalBytes = 20 }));
        StringAssert.Contains(total.Message, "WeightsReadLimits.MaxTotalBytes (20 bytes)");
        var count = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path, new WeightsReadLimits { MaxTensorCount = 2 }));
        StringAssert.Contains(count.Message, "WeightsReadLimits.MaxTensorCount (2)");
        var objects = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path, new WeightsReadLimits { MaxObjects = 10 }));
        StringAssert.Contains(objects.Message, "WeightsReadLimits.MaxObjects (10)");
    }

    [TestMethod]
    public void TruncatedLegacyFile_IsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.pth");
        PyTorchCheckpointWriter.WriteStateDict(path, Sample(), PyTorchCheckpointFormat.Legacy);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 3).ToArray());

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    public void LegacyFileWhoseDataDisagreesWithItsPickle_IsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.pth");
        PyTorchCheckpointWriter.WriteStateDict(path, [Sample()[0]], PyTorchCheckpointFormat.Legacy);
        var bytes = File.ReadAllBytes(path);
        // The storage's element count (6, a little-endian int64) sits right before its 24 data bytes at the end.
        bytes[^(24 + 8)] = 5;
        File.WriteAllBytes(path, bytes);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, "holds 5 elements in the data but 6 in the pickle");
    }

    [TestMethod]
    public void LegacyFileWithAMaliciousGlobal_IsRefused_AndNothingRuns()
    {
        using var folder = new TempFolder();
        var path = folder.File("evil.pth");
        string marker = folder.File("pwned");
        PyTorchCheckpointWriter.WriteStateDict(path, [Sample()[0]], PyTorchCheckpointFormat.Legacy);
        var clean = File.ReadAllBytes(path);
        // Replace the object pickle by one that calls os.system: same header, same storage keys and data after it.
        var evil = new PickleBuilder().Proto().Global("os", "system").Str($"touch {marker}").Tuple1().Reduce().Stop().ToArray();
        int objectStart = IndexOf(clean, [0x80, 0x02, (byte)'c', (byte)'c'], 0);
        Assert.IsGreaterThan(0, objectStart, "the object pickle starts with PROTO 2 and the OrderedDict GLOBAL");
        int keysStart = IndexOf(clean, [0x80, 0x02, (byte)']'], objectStart);
        File.WriteAllBytes(path, [.. clean.AsSpan(0, objectStart), .. evil, .. clean.AsSpan(keysStart)]);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, "'os.system'");
        Assert.IsFalse(File.Exists(marker));
    }

    [TestMethod]
    public void TorchScriptArchive_IsReadAsInertRecords_AndItsCodeIsNeverRead()
    {
        using var folder = new TempFolder();
        var path = folder.File("ViT-B-16.pt");
        var tensors = Sample().Select(kv => new KeyValuePair<string, TensorData>("visual." + kv.Key, kv.Value)).Append(new("logit_scale", Sample()[2].Value)).ToList();
        TorchScriptArchiveWriter.Write(path, tensors);

        var checkpoint = PyTorchCheckpointReader.Read(path);

        Assert.IsTrue(checkpoint.IsTorchScript);
        var root = (TorchScriptObject)checkpoint.Root!;
        Assert.AreEqual("__torch__.clip.model.CLIP", root.ClassName);
        Assert.IsFalse((bool)root.Attributes["training"]!);
        CollectionAssert.AreEquivalent(tensors.Select(kv => kv.Key).ToList(), checkpoint.GetStateDict().Keys.ToList());
        var visual = checkpoint.GetStateDict("visual");
        CollectionAssert.AreEquivalent(Sample().Select(kv => kv.Key).ToList(), visual.Keys.ToList());
        CollectionAssert.AreEqual(Sample()[1].Value.Bytes.ToArray(), visual["conv.bias"].Bytes.ToArray());
        Assert.ThrowsExactly<InvalidDataException>(() => checkpoint.GetStateDict("text"));
    }

    [TestMethod]
    [DataRow("__torch__.clip.model", "CLIP; import os")]
    [DataRow("__torch__.os.system(1)", "CLIP")]
    [DataRow("torch_nope", "CLIP")]
    public void TorchScriptLookalikeClassNames_AreRefused(string module, string name)
    {
        var pickle = new PickleBuilder().Proto().Global(module, name).EmptyTuple().Op(0x81).Stop().ToArray();
        using var folder = new TempFolder();
        var path = folder.File("crafted.pt");
        WeightsTestData.WriteTorchZip(path, pickle);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, "which a weights-only reader never loads");
    }

    [TestMethod]
    public void NewObjOfAnAllowedNonTorchScriptClass_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Op(0x81).Stop().ToArray();
        using var folder = new TempFolder();
        var path = folder.File("crafted.pt");
        WeightsTestData.WriteTorchZip(path, pickle);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, "NEWOBJ (0x81) at byte 28 creates a global collections.OrderedDict");
    }

    private static byte[] Replace(byte[] data, string from, string to)
    {
        var find = Encoding.ASCII.GetBytes(from);
        int at = IndexOf(data, find, 0);
        Assert.IsGreaterThanOrEqualTo(0, at, $"'{from.Replace("\n", "\\n")}' is in the file");
        return [.. data.AsSpan(0, at), .. Encoding.ASCII.GetBytes(to), .. data.AsSpan(at + find.Length)];
    }

    private static int IndexOf(byte[] data, byte[] pattern, int start)
        => data.AsSpan(start).IndexOf(pattern) is var i and >= 0 ? start + i : -1;
}
