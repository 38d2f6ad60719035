using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Weights;

namespace MLNetVideo.Tests.Core.Weights;

[TestClass]
public sealed class PyTorchCheckpointReaderTests
{
    [TestMethod]
    public void RealFile_Tensors_ReadsInt64ValuesAndShapes()
    {
        var checkpoint = PyTorchCheckpointReader.Read(WeightsTestData.Checkpoint("tensors.pth"));

        Assert.AreEqual("tensors", checkpoint.ArchiveName);
        var state = checkpoint.GetStateDict();
        CollectionAssert.AreEqual(new[] { "arr", "arr_2d" }, state.Keys.ToArray());
        Assert.AreEqual("I64 [6]", state["arr"].ToString());
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, state["arr"].ToArray<long>());
        Assert.AreEqual("I64 [2, 3]", state["arr_2d"].ToString());
        CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, state["arr_2d"].ToArray<long>());
    }

    [TestMethod]
    public void RealFile_ModuleLoad_ReadsStateDictAndItsMetadataAttribute()
    {
        var checkpoint = PyTorchCheckpointReader.Read(WeightsTestData.Checkpoint("module_load.pth"));

        var state = checkpoint.GetStateDict();
        Assert.AreEqual("F32 [1, 5]", state["lin1.weight"].ToString());
        Assert.AreEqual("F32 [2, 1]", state["lin2.weight"].ToString());
        CollectionAssert.AreEqual(Enumerable.Repeat(1f, 5).ToArray(), state["lin1.weight"].ToArray<float>());
        CollectionAssert.AreEqual(new[] { 1f, 1f }, state["lin2.weight"].ToArray<float>());

        var root = (CheckpointDictionary)checkpoint.Root!;
        var metadata = (CheckpointDictionary)root.Attributes["_metadata"]!;
        CollectionAssert.AreEqual(new object[] { "", "lin1", "lin2" }, metadata.Keys.ToArray());
        Assert.AreEqual(1L, ((CheckpointDictionary)metadata["lin1"]!)["version"]);
    }

    [TestMethod]
    public void RealFile_SgdState_ReadsNestedValuesAndTensors()
    {
        var path = WeightsTestData.Checkpoint("sgd_load.pth");
        var root = (CheckpointDictionary)PyTorchCheckpointReader.Read(path).Root!;

        var group = (CheckpointDictionary)((List<object?>)root["param_groups"]!).Single()!;
        Assert.AreEqual(0.01, group["lr"]);
        Assert.AreEqual(0.1, group["momentum"]);
        Assert.AreEqual(0L, group["dampening"]);
        Assert.AreEqual(false, group["nesterov"]);
        Assert.IsNull(group["foreach"]);
        CollectionAssert.AreEqual(new object[] { 0L, 1L }, (List<object?>)group["params"]!);

        var state = (CheckpointDictionary)root["state"]!;
        var buffer0 = (TensorData)((CheckpointDictionary)state[0L]!)["momentum_buffer"]!;
        var buffer1 = (TensorData)((CheckpointDictionary)state[1L]!)["momentum_buffer"]!;
        Assert.AreEqual("F32 [10, 10]", buffer0.ToString());
        Assert.AreEqual("F32 [10]", buffer1.ToString());
        CollectionAssert.AreEqual(RawEntry(path, "sgd_load/data/0"), buffer0.Bytes.ToArray());
        Assert.AreEqual(-0.1812966912984848f, buffer1.ToArray<float>()[0]);
    }

    [TestMethod]
    public void RealFile_AdamState_ReadsTuplesScalarsAndBothParamGroups()
    {
        var path = WeightsTestData.Checkpoint("adam_load.pth");
        var checkpoint = PyTorchCheckpointReader.Read(path);
        var root = (CheckpointDictionary)checkpoint.Root!;

        var groups = ((List<object?>)root["param_groups"]!).Cast<CheckpointDictionary>().ToList();
        Assert.HasCount(2, groups);
        Assert.AreEqual(0.001, groups[0]["lr"]);
        CollectionAssert.AreEqual(new object[] { 0.8, 0.9 }, (object?[])groups[0]["betas"]!);
        Assert.AreEqual(1e-08, groups[0]["eps"]);
        Assert.AreEqual(false, groups[0]["amsgrad"]);
        Assert.AreEqual(0.01, groups[1]["lr"]);
        CollectionAssert.AreEqual(new object[] { 0.7, 0.79 }, (object?[])groups[1]["betas"]!);
        Assert.AreEqual(true, groups[1]["amsgrad"]);
        CollectionAssert.AreEqual(new object[] { 2L, 3L }, (List<object?>)groups[1]["params"]!);

        var state = (CheckpointDictionary)root["state"]!;
        CollectionAssert.AreEqual(new object[] { 0L, 1L, 2L, 3L }, state.Keys.ToArray());
        var first = (CheckpointDictionary)state[0L]!;
        var step = (TensorData)first["step"]!;
        Assert.AreEqual("F32 []", step.ToString());
        Assert.AreEqual(1f, step.ToArray<float>().Single());
        Assert.AreEqual("F32 [10, 10]", first["exp_avg"]!.ToString());
        Assert.AreEqual(0.0028110507410019636f, ((TensorData)((CheckpointDictionary)state[1L]!)["exp_avg"]!).ToArray<float>()[0]);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => checkpoint.GetStateDict());
        StringAssert.Contains(e.Message, "holds no state dict at its root. Its top-level keys are: 'state', 'param_groups'");
    }

    [TestMethod]
    [DataRow("posix", "system")]
    [DataRow("os", "system")]
    [DataRow("nt", "system")]
    [DataRow("subprocess", "Popen")]
    [DataRow("builtins", "exec")]
    public void MaliciousGlobal_IsRefusedNamingIt_AndNothingRuns(string module, string name)
    {
        using var folder = new TempFolder();
        var marker = Path.Combine(Path.GetTempPath(), $"pwned-{Guid.NewGuid():N}");
        var pickle = new PickleBuilder().Proto().Global(module, name).Str($"touch {marker}").Tuple1().Reduce().Stop().ToArray();
        var path = folder.File("evil.pth");
        WeightsTestData.WriteTorchZip(path, pickle);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, $"the Python global '{module}.{name}'");
        StringAssert.Contains(e.Message, "nothing was executed");
        Assert.IsFalse(File.Exists(marker), "The payload must never run.");
    }

    [TestMethod]
    public void MaliciousStackGlobal_AfterRealTensors_IsRefused()
    {
        using var folder = new TempFolder();
        var marker = Path.Combine(Path.GetTempPath(), $"pwned-{Guid.NewGuid():N}");
        var pickle = new PickleBuilder().Proto(4).EmptyDict()
            .Str("weight").Tensor("FloatStorage", "0", 2, 0, [2], [1]).SetItem()
            .Str("payload").Str("builtins").Str("eval").Op(0x93).Str($"open('{marker}','w')").Tuple1().Reduce().SetItem()
            .Stop().ToArray();
        var path = folder.File("evil.pth");
        WeightsTestData.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = WeightsTestData.Bytes(1f, 2f) });

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.ReadStateDict(path));

        StringAssert.Contains(e.Message, "'builtins.eval'");
        Assert.IsFalse(File.Exists(marker));
    }

    [TestMethod]
    [DataRow((byte)0x81, "NEWOBJ (0x81)")]
    [DataRow((byte)'i', "INST (0x69)")]
    [DataRow((byte)0xFF, "opcode 0xff")]
    public void UnknownOrForbiddenOpcode_IsRefused(byte opcode, string expected)
    {
        var e = RefuseCrafted(new PickleBuilder().Proto().EmptyDict().Op(opcode).Stop().ToArray());
        StringAssert.Contains(e.Message, expected);
        StringAssert.Contains(e.Message, "at byte 3");
    }

    [TestMethod]
    public void StackDepthBomb_Marks_IsRefused()
    {
        var builder = new PickleBuilder().Proto();
        for (int i = 0; i < 200_000; i++) builder.Mark();
        var e = RefuseCrafted(builder.Stop().ToArray());
        StringAssert.Contains(e.Message, "nests more than WeightsReadLimits.MaxStackDepth (100000) marks");
    }

    [TestMethod]
    public void StackDepthBomb_Values_IsRefused()
    {
        var builder = new PickleBuilder().Proto();
        for (int i = 0; i < 200_000; i++) builder.EmptyList();
        var e = RefuseCrafted(builder.Stop().ToArray());
        StringAssert.Contains(e.Message, "stack grows beyond WeightsReadLimits.MaxStackDepth");
    }

    [TestMethod]
    public void DeeplyNestedListsBuiltWithConstantStack_AreRefused()
    {
        // L0 = [L1], L1 = [L2], ... built with memo and POP so the stack never grows.
        var builder = new PickleBuilder().Proto().EmptyList().Put(0);
        for (uint i = 1; i <= 5_000; i++)
            builder.EmptyList().Put(i).Append().Pop().Get(i);
        var e = RefuseCrafted(builder.Pop().Get(0).Stop().ToArray());
        StringAssert.Contains(e.Message, "nest more than WeightsReadLimits.MaxNesting (1000) levels");
    }

    [TestMethod]
    public void ReferenceCycle_IsRefused()
    {
        var e = RefuseCrafted(new PickleBuilder().Proto().EmptyList().Put(0).Get(0).Append().Stop().ToArray());
        StringAssert.Contains(e.Message, "reference cycle");
    }

    [TestMethod]
    public void SharedReferences_AreWalkedOnce_NotExponentially()
    {
        // L(i) = [L(i-1), L(i-1)], 80 levels: 2^80 paths, 81 objects.
        var builder = new PickleBuilder().Proto().EmptyList().Put(0);
        for (uint i = 1; i <= 80; i++)
            builder.Pop().EmptyList().Put(i).Get(i - 1).Append().Get(i - 1).Append();
        using var folder = new TempFolder();
        var path = folder.File("shared.pth");
        WeightsTestData.WriteTorchZip(path, builder.Stop().ToArray());
        var watch = Stopwatch.StartNew();

        var root = (List<object?>)PyTorchCheckpointReader.Read(path).Root!;

        Assert.IsLessThan(5_000L, watch.ElapsedMilliseconds);
        Assert.HasCount(2, root);
        Assert.AreSame(root[0], root[1]);
    }

    [TestMethod]
    public void ObjectMemoAndStringLimits_AreEnforced()
    {
        var many = new PickleBuilder().Proto().EmptyList();
        for (int i = 0; i < 2_000; i++) many.EmptyDict().Append();
        var objects = RefuseCrafted(many.Stop().ToArray(), limits: new WeightsReadLimits { MaxObjects = 1_000 });
        StringAssert.Contains(objects.Message, "creates more than WeightsReadLimits.MaxObjects (1000) objects");

        var memo = new PickleBuilder().Proto().EmptyList();
        for (uint i = 0; i < 20; i++) memo.Put(i);
        var memoError = RefuseCrafted(memo.Stop().ToArray(), limits: new WeightsReadLimits { MaxMemoEntries = 10 });
        StringAssert.Contains(memoError.Message, "memo grows beyond WeightsReadLimits.MaxMemoEntries (10) entries");

        var huge = new PickleBuilder().Proto().Op(0x8d).Op(BitConverter.GetBytes(1UL << 40)).Stop().ToArray();
        var stringError = RefuseCrafted(huge);
        StringAssert.Contains(stringError.Message, "claims 1099511627776 bytes, more than WeightsReadLimits.MaxStringBytes");

        var unknownMemo = RefuseCrafted(new PickleBuilder().Proto().Get(42).Stop().ToArray());
        StringAssert.Contains(unknownMemo.Message, "memo entry 42, which was never stored");
    }

    [TestMethod]
    public void StorageKeyWithoutEntry_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "7", 2, 0, [2], [1]).SetItem().Stop().ToArray();
        var e = RefuseCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = new byte[8] });
        StringAssert.Contains(e.Message, "refers to storage 'data/7', which is not in the archive");
    }

    [TestMethod]
    public void DuplicateZipEntry_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1, 0, [1], [1]).SetItem().Stop().ToArray();
        using var folder = new TempFolder();
        var path = folder.File("duplicate.pth");
        WeightsTestData.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = WeightsTestData.Bytes(1f) });
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Update))
        using (var stream = zip.CreateEntry("archive/data/0").Open())
            stream.Write(WeightsTestData.Bytes(666f));

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, "lists the entry 'archive/data/0' twice");
    }

    [TestMethod]
    public void StorageEntryOfWrongSize_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("LongStorage", "0", 6, 0, [6], [1]).SetItem().Stop().ToArray();
        var e = RefuseCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = new byte[40] });
        StringAssert.Contains(e.Message, "entry 'archive/data/0' declares 40 bytes but the checkpoint needs exactly 48");
    }

    [TestMethod]
    public void HugeDeclaredStorage_IsRefusedBeforeAllocating()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1L << 62, 0, [1L << 62], [1]).SetItem().Stop().ToArray();
        var e = RefuseCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = new byte[8] });
        StringAssert.Contains(e.Message, "declares 4611686018427387904 F32 elements, more than WeightsReadLimits.MaxTensorBytes");
    }

    [TestMethod]
    public void TensorViewOutsideItsStorage_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("LongStorage", "0", 6, 4, [4], [1]).SetItem().Stop().ToArray();
        var e = RefuseCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = new byte[48] });
        StringAssert.Contains(e.Message, "reaches outside its storage of 6 elements");
    }

    [TestMethod]
    public void ExpandedViewsOfATinyStorage_AreBoundedBeforeAllocating()
    {
        // stride 0 turns one stored element into 2 MB of copies per tensor: a memory bomb from a tiny file.
        var builder = new PickleBuilder().Proto().EmptyDict();
        for (int i = 0; i < 3; i++)
            builder.Str($"t{i}").Tensor("FloatStorage", "0", 1, 0, [1 << 19], [0]).SetItem();
        using var folder = new TempFolder();
        var path = folder.File("expanded.pth");
        WeightsTestData.WriteTorchZip(path, builder.Stop().ToArray(), new Dictionary<string, byte[]> { ["0"] = WeightsTestData.Bytes(3f) });

        // By default a view may hold at most 4× its storage (issue 15): refused at the first view.
        var expansion = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));
        StringAssert.Contains(expansion.Message, "holds 2097152 bytes, more than WeightsReadLimits.MaxViewExpansion (4) times its storage of 4 bytes");
        // With expansion allowed (a trusted file), the total of all copies is still bounded.
        var e = Assert.ThrowsExactly<InvalidDataException>(
            () => PyTorchCheckpointReader.Read(path, new WeightsReadLimits { MaxTotalBytes = 5 << 20, MaxViewExpansion = 1 << 20 }));

        StringAssert.Contains(e.Message, "strided tensor views expand to more than WeightsReadLimits.MaxTotalBytes (5242880 bytes)");
        var allowed = PyTorchCheckpointReader.ReadStateDict(path, limits: new WeightsReadLimits { MaxViewExpansion = 1 << 21 });
        Assert.IsTrue(allowed["t2"].ToArray<float>().All(v => v == 3f));
    }

    [TestMethod]
    public void ZipBomb_StorageExpandingFarBeyondItsDeclaredSize_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("LongStorage", "0", 6, 0, [6], [1]).SetItem().Stop().ToArray();
        var e = RefuseCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = new byte[64 << 20] }, CompressionLevel.Optimal);
        StringAssert.Contains(e.Message, "declares 67108864 bytes but the checkpoint needs exactly 48");
    }

    [TestMethod]
    public void ZipBomb_EntryWhoseHeadersUnderstateItsSize_IsRefusedAfterABoundedRead()
    {
        using var folder = new TempFolder();
        var path = folder.File("bomb.pth");
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("LongStorage", "0", 6, 0, [6], [1]).SetItem().Stop().ToArray();
        WeightsTestData.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = new byte[32 << 20] }, compression: CompressionLevel.Optimal);
        UnderstateUncompressedSize(path, "archive/data/0", 48);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "entry 'archive/data/0'");
    }

    [TestMethod]
    public void OversizedPickle_IsRefusedByTheLimit()
    {
        var pickle = new byte[2_000_000];
        pickle[0] = 0x80;
        pickle[1] = 2;
        using var folder = new TempFolder();
        var path = folder.File("big.pth");
        WeightsTestData.WriteTorchZip(path, pickle, compression: CompressionLevel.Optimal);

        var e = Assert.ThrowsExactly<InvalidDataException>(
            () => PyTorchCheckpointReader.Read(path, new WeightsReadLimits { MaxPickleBytes = 1_000_000 }));

        StringAssert.Contains(e.Message, "entry 'archive/data.pkl' declares 2000000 bytes, more than the limit of 1000000");
    }

    [TestMethod]
    public void TruncatedRealFile_EveryLength_IsRefusedNamingTheFile()
    {
        var original = File.ReadAllBytes(WeightsTestData.Checkpoint("tensors.pth"));
        using var folder = new TempFolder();
        for (int length = 0; length < original.Length; length++)
        {
            var path = folder.File($"truncated-{length}.pth");
            File.WriteAllBytes(path, original[..length]);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path), $"length {length}");
            StringAssert.Contains(e.Message, path);
        }
    }

    [TestMethod]
    public void FlippedStorageByte_FailsTheChecksum()
    {
        var original = File.ReadAllBytes(WeightsTestData.Checkpoint("tensors.pth"));
        int at = original.AsSpan().IndexOf(WeightsTestData.Bytes(1L, 2L, 3L, 4L, 5L, 6L));
        Assert.IsGreaterThan(0, at, "The stored values of 'arr' should appear verbatim in the archive.");
        original[at] ^= 0x04;   // arr[0] would silently become 5
        using var folder = new TempFolder();
        var path = folder.File("flipped.pth");
        File.WriteAllBytes(path, original);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));

        StringAssert.Contains(e.Message, "entry 'tensors/data/0' fails its CRC-32 check");
    }

    [TestMethod]
    public void FlippedByte_AnyPosition_IsRefusedOrChangesNothing()
    {
        var source = WeightsTestData.Checkpoint("tensors.pth");
        var original = File.ReadAllBytes(source);
        using var folder = new TempFolder();
        var refused = new HashSet<int>();
        for (int position = 0; position < original.Length; position++)
        {
            var damaged = (byte[])original.Clone();
            damaged[position] ^= 0x80;
            var path = folder.File($"flipped-{position}.pth");
            File.WriteAllBytes(path, damaged);
            try
            {
                var state = PyTorchCheckpointReader.ReadStateDict(path);
                // Bytes in fields the reader does not depend on (timestamps, alignment padding) may change harmlessly.
                CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, state["arr"].ToArray<long>(), $"byte {position}");
                CollectionAssert.AreEqual(new long[] { 1, 2, 3, 4, 5, 6 }, state["arr_2d"].ToArray<long>(), $"byte {position}");
                CollectionAssert.AreEqual(new long[] { 2, 3 }, state["arr_2d"].Shape.ToArray(), $"byte {position}");
            }
            catch (InvalidDataException e)
            {
                StringAssert.Contains(e.Message, path);
                refused.Add(position);
            }
            File.Delete(path);
        }

        // Every flip inside the content the reader uses (the pickle and both storages) must be detected.
        foreach (var entry in new[] { "tensors/data.pkl", "tensors/data/0", "tensors/data/1" })
        {
            var content = RawEntry(source, entry);
            for (int at = original.AsSpan().IndexOf(content); at >= 0;)
            {
                for (int i = at; i < at + content.Length; i++)
                    Assert.Contains(i, refused, $"A flip at byte {i} inside {entry} was not detected.");
                int next = original.AsSpan(at + 1).IndexOf(content);
                at = next < 0 ? -1 : at + 1 + next;
            }
        }
    }

    [TestMethod]
    [DataRow("adam_load.pth", "adam_load")]
    [DataRow("module_load.pth", "pyload_test")]
    public void MutatedPickle_SeededFuzz_EitherLoadsOrIsRefusedCleanly(string name, string archive)
    {
        // Random byte mutations of a real data.pkl, repackaged with valid checksums so they reach the pickle VM:
        // the only acceptable failure is InvalidDataException (no IndexOutOfRange, InvalidCast, OutOfMemory or hang).
        var source = WeightsTestData.Checkpoint(name);
        var pickle = RawEntry(source, $"{archive}/data.pkl");
        var storages = new Dictionary<string, byte[]>();
        using (var zip = ZipFile.OpenRead(source))
            foreach (var entry in zip.Entries.Where(e => e.FullName.StartsWith($"{archive}/data/", StringComparison.Ordinal)))
                storages[entry.FullName[$"{archive}/data/".Length..]] = RawEntry(source, entry.FullName);
        var random = new Random(1234);
        using var folder = new TempFolder();
        var path = folder.File("mutated.pth");
        int loaded = 0, refused = 0;
        var watch = Stopwatch.StartNew();
        for (int round = 0; round < 400; round++)
        {
            var mutated = (byte[])pickle.Clone();
            for (int k = random.Next(1, 4); k > 0; k--)
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            File.Delete(path);
            WeightsTestData.WriteTorchZip(path, mutated, storages, archive);
            try
            {
                PyTorchCheckpointReader.Read(path);
                loaded++;
            }
            catch (InvalidDataException e)
            {
                StringAssert.Contains(e.Message, path);
                refused++;
            }
        }
        Assert.IsGreaterThan(0, refused);
        Assert.IsLessThan(60_000L, watch.ElapsedMilliseconds, $"{loaded} loaded, {refused} refused");
    }

    [TestMethod]
    public void PickleFileWithoutTheLegacyMagicNumber_IsRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("legacy.pth");
        File.WriteAllBytes(path, new PickleBuilder().Proto().Int(119547037146038801).Stop().ToArray());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path));
        StringAssert.Contains(e.Message, "not with the magic number of a legacy torch.save checkpoint");
    }

    [TestMethod]
    public void TrainingCheckpoint_FindsNestedStateDict_AndRebuildsParameters()
    {
        // {'epoch': 3, 'model': {'w': Parameter(tensor)}}: torch.save of a training checkpoint holding a Parameter.
        var pickle = new PickleBuilder().Proto().EmptyDict()
            .Str("epoch").Int(3).SetItem()
            .Str("model").EmptyDict().Str("w")
            .Global("torch._utils", "_rebuild_parameter").Mark()
            .Tensor("FloatStorage", "0", 2, 0, [2], [1]).Op(0x88).Global("collections", "OrderedDict").EmptyTuple().Reduce()
            .Tuple().Reduce().SetItem().SetItem()
            .Stop().ToArray();
        using var folder = new TempFolder();
        var path = folder.File("training.pth");
        WeightsTestData.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = WeightsTestData.Bytes(0.25f, -4f) });
        var checkpoint = PyTorchCheckpointReader.Read(path);

        var found = checkpoint.GetStateDict();
        var named = checkpoint.GetStateDict("model");

        CollectionAssert.AreEqual(new[] { 0.25f, -4f }, found["w"].ToArray<float>());
        Assert.AreSame(found["w"], named["w"]);
        Assert.AreEqual(3L, ((CheckpointDictionary)checkpoint.Root!)["epoch"]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => checkpoint.GetStateDict("epoch"));
        StringAssert.Contains(e.Message, "entry 'epoch' is not a dictionary of tensors");
        var missing = Assert.ThrowsExactly<InvalidDataException>(() => checkpoint.GetStateDict("optimizer"));
        StringAssert.Contains(missing.Message, "has no entry 'optimizer'. Its top-level keys are: 'epoch', 'model'");
    }

    [TestMethod]
    public void Protocol4PrimitiveValues_AreDecoded()
    {
        static byte[] Short(string text) => [0x8c, (byte)Encoding.UTF8.GetByteCount(text), .. Encoding.UTF8.GetBytes(text)];
        var body = new PickleBuilder()
            .Op(Short("collections")).Op(0x94).Op(Short("OrderedDict")).Op(0x94).Op(0x93).Op(0x94).EmptyTuple().Reduce().Op(0x94)
            .Mark()
            .Op(Short("neg")).Op(0x8a, 1, 0xFF)
            .Op(Short("big")).Op(0x8a, 6, 0, 0, 0, 0, 0, 1)
            .Op(Short("word")).Op((byte)'M', 0x34, 0x12)
            .Op(Short("int32")).Op((byte)'J').Op(BitConverter.GetBytes(-70_000))
            .Op(Short("float")).Op((byte)'G').Op(BitConverter.GetBytes(1.5).Reverse().ToArray())
            .Op(Short("none")).Op((byte)'N')
            .Op(Short("bytes")).Op((byte)'C', 2, (byte)'x', (byte)'y')
            .Op(Short("text")).Op(Short("héllo"))
            .Op(Short("triple")).Int(1).Int(2).Int(3).Op(0x87)
            .Op(Short("again")).Op((byte)'h', 0)
            .SetItems().Stop().ToArray();
        var framed = new PickleBuilder().Proto(4).Op(0x95).Op(BitConverter.GetBytes((ulong)body.Length)).Op(body).ToArray();
        using var folder = new TempFolder();
        var path = folder.File("protocol4.pth");
        WeightsTestData.WriteTorchZip(path, framed);

        var root = (CheckpointDictionary)PyTorchCheckpointReader.Read(path).Root!;

        Assert.AreEqual(-1L, root["neg"]);
        Assert.AreEqual(1L << 40, root["big"]);
        Assert.AreEqual(0x1234L, root["word"]);
        Assert.AreEqual(-70_000L, root["int32"]);
        Assert.AreEqual(1.5, root["float"]);
        Assert.IsNull(root["none"]);
        CollectionAssert.AreEqual("xy"u8.ToArray(), (byte[])root["bytes"]!);
        Assert.AreEqual("héllo", root["text"]);
        CollectionAssert.AreEqual(new object[] { 1L, 2L, 3L }, (object?[])root["triple"]!);
        Assert.AreEqual("collections", root["again"], "MEMOIZE numbers memo entries in order.");
    }

    [TestMethod]
    public void TorchScriptClass_CalledThroughReduce_IsRefused()
    {
        // TorchScript objects are only ever created as inert records through NEWOBJ; calling the class is never done.
        var pickle = new PickleBuilder().Proto().Global("__torch__.clip.model", "CLIP").EmptyTuple().Reduce().Stop().ToArray();
        var e = RefuseCrafted(pickle);
        StringAssert.Contains(e.Message, "__torch__.clip.model.CLIP at byte");
        StringAssert.Contains(e.Message, "is called directly");
    }

    [TestMethod]
    public void StridedView_IsGatheredInLogicalOrder()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("t").Tensor("IntStorage", "0", 6, 0, [3, 2], [1, 3]).SetItem().Stop().ToArray();
        var state = ReadCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = WeightsTestData.Bytes(0, 1, 2, 3, 4, 5) });
        Assert.AreEqual("I32 [3, 2]", state["t"].ToString());
        CollectionAssert.AreEqual(new[] { 0, 3, 1, 4, 2, 5 }, state["t"].ToArray<int>());
    }

    [TestMethod]
    public void BigEndianCheckpoint_IsSwappedToLittleEndian()
    {
        var big = new byte[12];
        for (int i = 0; i < 3; i++) BinaryPrimitives.WriteInt32BigEndian(big.AsSpan(4 * i), 1000 * (i + 1));
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("t").Tensor("IntStorage", "0", 3, 0, [3], [1]).SetItem().Stop().ToArray();
        var state = ReadCrafted(pickle, new Dictionary<string, byte[]> { ["0"] = big }, byteOrder: "big");
        CollectionAssert.AreEqual(new[] { 1000, 2000, 3000 }, state["t"].ToArray<int>());
    }

    private static IReadOnlyDictionary<string, TensorData> ReadCrafted(byte[] pickle, Dictionary<string, byte[]> storages, string byteOrder = "little")
    {
        using var folder = new TempFolder();
        var path = folder.File("crafted.pth");
        WeightsTestData.WriteTorchZip(path, pickle, storages, byteOrder: byteOrder);
        return PyTorchCheckpointReader.ReadStateDict(path);
    }

    private static InvalidDataException RefuseCrafted(
        byte[] pickle, Dictionary<string, byte[]>? storages = null, CompressionLevel compression = CompressionLevel.NoCompression,
        WeightsReadLimits? limits = null)
    {
        using var folder = new TempFolder();
        var path = folder.File("crafted.pth");
        WeightsTestData.WriteTorchZip(path, pickle, storages, compression: compression);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.Read(path, limits));
        StringAssert.Contains(e.Message, $"PyTorch checkpoint '{path}' was refused");
        return e;
    }

    private static byte[] RawEntry(string zipPath, string name)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        using var stream = zip.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>Rewrites the uncompressed-size fields of one entry (local header and central directory) to lie.</summary>
    private static void UnderstateUncompressedSize(string zipPath, string entryName, uint size)
    {
        var bytes = File.ReadAllBytes(zipPath);
        var name = Encoding.ASCII.GetBytes(entryName);
        for (int i = 0; i + 46 < bytes.Length; i++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i)) != 0x02014b50) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i + 28));
            if (!bytes.AsSpan(i + 46, nameLength).SequenceEqual(name)) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i + 24), size);
            int local = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(i + 42));
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(local + 22), size);
            File.WriteAllBytes(zipPath, bytes);
            return;
        }
        Assert.Fail($"Entry {entryName} not found in the central directory.");
    }
}
