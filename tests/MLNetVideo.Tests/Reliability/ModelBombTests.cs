using System.IO.Compression;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.TestComponents;
using MLNetVideo.Tests.Core.Weights;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Weights;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 4: small files, bounded memory. A 515 KB zip whose manifest matched a 512 MiB run of zeros reached 1.87 GB
/// of memory at load; a 619-byte <c>.pth</c> with a stride-0 view materialised 512 MiB; the default import limit allowed
/// 16 GiB. Each entry is now bounded by what its component can need before anything is decompressed, every entry of the zip
/// is streamed (hashed, never held) within per-entry and total bounds, a tensor view may not expand its storage beyond
/// <see cref="WeightsReadLimits.MaxViewExpansion"/>, and the defaults are lower.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ModelBombTests
{
    private static string SaveTinyModel(TempFolder folder) => TinyModels.SaveLinear(folder.File("model.zip"));

    /// <summary>Replaces an entry by <paramref name="bytes"/> zeros (compressed to about a thousandth) with the manifest rewritten to match.</summary>
    private static void ReplaceWithZeros(string zip, string entry, long bytes)
    {
        var chunk = new byte[1 << 20];
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (long done = 0; done < bytes; done += chunk.Length)
            hash.AppendData(chunk, 0, (int)Math.Min(chunk.Length, bytes - done));
        ModelZipTampering.Replace(zip, entry, bytes, hash.GetHashAndReset(), output =>
        {
            for (long done = 0; done < bytes; done += chunk.Length)
                output.Write(chunk, 0, (int)Math.Min(chunk.Length, bytes - done));
        });
    }

    private static (Exception Error, long AllocatedBytes) Measure(Func<object> load)
    {
        GC.Collect();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var error = Assert.Throws<Exception>(() => load());
        return (error, GC.GetTotalAllocatedBytes(precise: true) - before);
    }

    [TestMethod]
    public void ManifestMatchingHalfAGibibyteOfZeros_IsRefusedBeforeItIsDecompressed()
    {
        using var folder = new TempFolder();
        string zip = SaveTinyModel(folder);
        string weights = ModelZipTampering.EntriesEndingWith(zip, "/Weights.bin").Single();
        ReplaceWithZeros(zip, weights, 512L << 20);
        Assert.IsTrue(new FileInfo(zip).Length < 2 << 20, $"the bomb is {new FileInfo(zip).Length} bytes on disk");

        // Plain ML.NET loading: the manifest's length is compared with the network its settings describe, before reading.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (plain, plainAllocated) = Measure(() => new MLContext().Model.Load(zip, out _));
        var cause = LoadErrorsOf(plain);
        StringAssert.Contains(cause.Message, "'Weights.bin'");
        StringAssert.Contains(cause.Message, "declares 536870912 bytes, more than the size of the network its settings describe");
        Assert.IsTrue(plainAllocated < 32L << 20, $"plain load allocated {plainAllocated >> 20} MiB");
        Assert.IsTrue(watch.Elapsed < TimeSpan.FromSeconds(10), $"took {watch.Elapsed}");
        // MLNetVideo's loading: the zip is streamed once (bounded), then the same refusal, as the real exception.
        var (checkedLoad, checkedAllocated) = Measure(() => new MLContext().Model.Load(zip, new VideoModelLoadOptions(), out _));
        Assert.IsInstanceOfType<InvalidDataException>(checkedLoad);
        StringAssert.Contains(checkedLoad.Message, "declares 536870912 bytes");
        Assert.IsTrue(checkedAllocated < 32L << 20, $"checked load allocated {checkedAllocated >> 20} MiB");
    }

    [TestMethod]
    public void SettingsEntryInflatedTo100MiB_IsRefusedBeforeItIsRead()
    {
        using var folder = new TempFolder();
        string zip = SaveTinyModel(folder);
        ReplaceWithZeros(zip, ModelZipTampering.EntriesEndingWith(zip, "/Settings.json").Single(), 100L << 20);
        var (error, allocated) = Measure(() => new MLContext().Model.Load(zip, new VideoModelLoadOptions(), out _));
        Assert.IsInstanceOfType<InvalidDataException>(error);
        StringAssert.Contains(error.Message, $"more than the largest settings entry ({MLNetVideo.Persistence.ModelEntryReader.MaxSettingsBytes} bytes)");
        Assert.IsTrue(allocated < 32L << 20, $"allocated {allocated >> 20} MiB");
    }

    [TestMethod]
    public void BombInAnyEntry_IsRefusedByTheScan_WithinTheEntryAndTotalBounds()
    {
        using var folder = new TempFolder();
        string zip = SaveTinyModel(folder);
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        using (var output = archive.CreateEntry("Extra/bomb.bin", CompressionLevel.Optimal).Open())
        {
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 64; i++)
                output.Write(zeros);
        }
        var perEntry = new VideoModelLoadOptions { MaxEntryBytes = 8 << 20 };
        var (entryError, allocated) = Measure(() => new MLContext().Model.Load(zip, perEntry, out _));
        Assert.IsInstanceOfType<InvalidDataException>(entryError);
        StringAssert.Contains(entryError.Message, "entry 'Extra/bomb.bin' declares 67108864 bytes, more than VideoModelLoadOptions.MaxEntryBytes (8388608)");
        Assert.IsTrue(allocated < 16L << 20, $"allocated {allocated >> 20} MiB");
        var total = new VideoModelLoadOptions { MaxTotalBytes = 32 << 20 };
        var totalError = Assert.ThrowsExactly<InvalidDataException>(() => new MLContext().Model.Load(zip, total, out _));
        StringAssert.Contains(totalError.Message, "decompress to more than VideoModelLoadOptions.MaxTotalBytes (33554432 bytes)");
        // Headers that understate the size (300 bytes) do not help a bomb: only that many bytes are ever decompressed.
        ZipEditing.UnderstateUncompressedSize(zip, "Extra/bomb.bin", 300);
        GC.Collect();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        Assert.IsNotNull(new MLContext().Model.Load(zip, perEntry, out _));
        long used = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.IsTrue(used < 16L << 20, $"allocated {used >> 20} MiB");
    }

    [TestMethod]
    public void StrideZeroView_InA600BytePth_IsRefusedByDefault_BeforeAllocating()
    {
        using var folder = new TempFolder();
        string path = folder.File("expand.pth");
        // One stored float viewed as 128 Mi floats (512 MiB) by a stride of 0.
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 1, 0, [128L << 20], [0]).SetItem().Stop().ToArray();
        WeightsTestData.WriteTorchZip(path, pickle, new Dictionary<string, byte[]> { ["0"] = WeightsTestData.Bytes(1f) });
        Assert.IsTrue(new FileInfo(path).Length < 1024, $"{new FileInfo(path).Length} bytes");
        var (error, allocated) = Measure(() => PyTorchCheckpointReader.ReadStateDict(path));
        Assert.IsInstanceOfType<InvalidDataException>(error);
        StringAssert.Contains(error.Message, "holds 536870912 bytes, more than WeightsReadLimits.MaxViewExpansion (4) times its storage of 4 bytes");
        Assert.IsTrue(allocated < 16L << 20, $"allocated {allocated >> 20} MiB");
    }

    [TestMethod]
    public void DefaultImportLimits_AreLowered()
    {
        Assert.AreEqual(4L << 30, WeightsReadLimits.Default.MaxTotalBytes);
        Assert.AreEqual(1L << 30, WeightsReadLimits.Default.MaxTensorBytes);
        using var folder = new TempFolder();
        string path = folder.File("large.pth");
        // A storage that declares 2 GiB (and is not even there): refused by the per-tensor default, before anything is read.
        var pickle = new PickleBuilder().Proto().EmptyDict().Str("w").Tensor("FloatStorage", "0", 512L << 20, 0, [512L << 20], [1]).SetItem().Stop().ToArray();
        WeightsTestData.WriteTorchZip(path, pickle);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => PyTorchCheckpointReader.ReadStateDict(path));
        StringAssert.Contains(e.Message, "more than WeightsReadLimits.MaxTensorBytes (1073741824 bytes)");
    }

    private static Exception LoadErrorsOf(Exception e) => MLNetVideo.Persistence.LoadErrors.Unwrap(e);
}
