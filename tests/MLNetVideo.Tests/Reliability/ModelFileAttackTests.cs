using System.IO.Compression;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.TestComponents;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Trainers;
using TorchSharp;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 10, item 2 (loading): hostile model zips and training checkpoints that the persistence tests of the
/// foundation do not already cover (those cover a flipped weight byte, a newer format version, an unknown component,
/// escaping entry names at save time, a damaged and a mismatched checkpoint). Each is refused with a clear error,
/// nothing is written outside the intended folder and memory stays bounded.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class ModelFileAttackTests
{
    private static string SaveModel(TempFolder folder) => TinyModels.SaveLinear(folder.File("model.zip"));

    private static string WeightsEntry(string zip) => ZipEditing.EntryNames(zip).Single(n => n.EndsWith("/Weights.bin", StringComparison.Ordinal));

    [TestMethod]
    public void TruncatedModelZip_AtManyLengths_IsRefused_NeverLoadsPartially()
    {
        using var folder = new TempFolder();
        var bytes = File.ReadAllBytes(SaveModel(folder));
        string cut = folder.File("cut.zip");
        int refused = 0;
        for (int length = 0; length < bytes.Length; length += Math.Max(1, bytes.Length / 40))
        {
            File.WriteAllBytes(cut, bytes[..length]);
            var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(cut, out _), $"a zip cut to {length} of {bytes.Length} bytes loaded");
            Assert.IsFalse(e is NullReferenceException or IndexOutOfRangeException or AccessViolationException, e.ToString());
            Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message));
            refused++;
        }
        Assert.IsTrue(refused >= 40);
    }

    [TestMethod]
    public void ZipBomb_WeightsEntryExpandingFarBeyondTheManifest_IsRefusedAfterABoundedRead()
    {
        using var folder = new TempFolder();
        string zip = SaveModel(folder);
        string weights = WeightsEntry(zip);
        // 256 MiB of zeros compress to about 256 KiB.
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            archive.GetEntry(weights)!.Delete();
            using var stream = archive.CreateEntry(weights, CompressionLevel.Optimal).Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++)
                stream.Write(zeros);
        }
        Assert.IsTrue(new FileInfo(zip).Length < 4 << 20, "the bomb must be small on disk");
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, out _));
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        var cause = Exceptions.Find<InvalidDataException>(e);
        Assert.IsNotNull(cause, e.ToString());
        StringAssert.Contains(cause.Message, "'Weights.bin'");
        StringAssert.Contains(cause.Message, "damaged or was modified");
        Assert.IsTrue(allocated < 64L << 20, $"loading allocated {allocated >> 20} MiB for a 256 MiB bomb");
    }

    [TestMethod]
    public void ZipEntriesNamedWithDotDotOrAbsolutePaths_WriteNothingOutside()
    {
        using var root = new TempFolder();
        string inner = Path.Combine(root.Path, "a", "b");
        Directory.CreateDirectory(inner);
        string zip = Path.Combine(inner, "model.zip");
        File.Copy(SaveModel(root), zip);
        string marker = "mlnv-escape-" + Guid.NewGuid().ToString("N")[..8];
        string absolute = Path.Combine(Path.GetTempPath(), marker + "-abs.txt");
        using (var archive = ZipFile.Open(zip, ZipArchiveMode.Update))
        {
            foreach (var name in new[] { $"../../{marker}.txt", $"../../../{marker}.txt", absolute, $"TransformerChain/../../{marker}-chain.txt" })
            {
                using var writer = new StreamWriter(archive.CreateEntry(name).Open());
                writer.Write("escaped");
            }
        }
        var mlContext = new MLContext();
        var loaded = mlContext.Model.Load(zip, out _);   // the extra entries are never used, so the model still loads
        Assert.IsNotNull(loaded);
        Assert.IsFalse(File.Exists(absolute), "an absolute entry name must not create a file");
        var written = Directory.GetFiles(Path.GetTempPath(), marker + "*", SearchOption.TopDirectoryOnly)
            .Concat(Directory.GetFiles(root.Path, marker + "*", SearchOption.AllDirectories)).ToArray();
        Assert.IsEmpty(written, string.Join(", ", written));
        var parentOfRoot = Directory.GetParent(root.Path)!.FullName;
        Assert.IsEmpty(Directory.GetFiles(parentOfRoot, marker + "*"));
    }

    [TestMethod]
    public void ManifestNamingAnEntryOutsideItsFolder_IsRefused()
    {
        using var folder = new TempFolder();
        string zip = SaveModel(folder);
        string modelKey = WeightsEntry(zip)[..WeightsEntry(zip).LastIndexOf('/')] + "/Model.key";
        ZipEditing.Rewrite(zip, n => n == modelKey, bytes =>
        {
            // Same length, so the length-prefixed string stays valid: "Weights.bin" → "../eights.b".
            int at = ZipEditing.IndexOf(bytes, Encoding.UTF8.GetBytes("Weights.bin"));
            Assert.IsTrue(at >= 0);
            Encoding.UTF8.GetBytes("../eights.b").CopyTo(bytes, at);
            return bytes;
        });
        var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, out _));
        var cause = Exceptions.Find<InvalidDataException>(e);
        Assert.IsNotNull(cause, e.ToString());
        StringAssert.Contains(cause.Message, "names entry '../eights.b', which is not allowed");
    }

    // ---- training checkpoints ----

    private static (torch.nn.Module Network, TorchSharp.Modules.OptimizerHelper Optimizer) Tiny()
    {
        var network = torch.nn.Sequential(("fc", torch.nn.Linear(8, 4)));
        return (network, torch.optim.SGD(network.parameters(), 0.1, momentum: 0.9));
    }

    private static string SaveCheckpoint(TempFolder folder)
    {
        var (network, optimizer) = Tiny();
        TrainingCheckpoint.Save(folder.Path, "S3D", "fp", new TrainingProgress { CompletedEpochs = 2 }, network, optimizer);
        return TrainingCheckpoint.PathIn(folder.Path);
    }

    private static InvalidDataException Refused(TempFolder folder, string family = "S3D")
    {
        var (network, optimizer) = Tiny();
        return Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.TryLoad(folder.Path, family, "fp", network, optimizer));
    }

    [TestMethod]
    public void Checkpoint_RoundTrips_AndLeavesNoTemporaryFile()
    {
        using var folder = new TempFolder();
        SaveCheckpoint(folder);
        SaveCheckpoint(folder);
        CollectionAssert.AreEqual(new[] { TrainingCheckpoint.FileName }, Directory.GetFiles(folder.Path).Select(Path.GetFileName).ToArray());
        var (network, optimizer) = Tiny();
        Assert.AreEqual(2, TrainingCheckpoint.TryLoad(folder.Path, "S3D", "fp", network, optimizer)!.CompletedEpochs);
    }

    [TestMethod]
    public void TruncatedCheckpoint_AtManyLengths_IsRefusedNamingTheFile()
    {
        using var folder = new TempFolder();
        string path = SaveCheckpoint(folder);
        var bytes = File.ReadAllBytes(path);
        for (int length = 0; length < bytes.Length; length += Math.Max(1, bytes.Length / 30))
        {
            File.WriteAllBytes(path, bytes[..length]);
            var ex = Refused(folder);
            StringAssert.Contains(ex.Message, path, $"cut to {length}");
        }
    }

    [TestMethod]
    public void FlippedWeightByte_InAStoredCheckpointEntry_FailsTheRecordedHash()
    {
        using var folder = new TempFolder();
        string path = SaveCheckpoint(folder);
        // Re-store network.bin uncompressed with one flipped byte and a correct zip CRC: only our SHA-256 can notice.
        byte[] network;
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            var entry = archive.GetEntry("network.bin")!;
            using (var stream = entry.Open())
            using (var buffer = new MemoryStream())
            {
                stream.CopyTo(buffer);
                network = buffer.ToArray();
            }
            entry.Delete();
            network[^3] ^= 0x10;
            using var output = archive.CreateEntry("network.bin", CompressionLevel.NoCompression).Open();
            output.Write(network);
        }
        var ex = Refused(folder);
        StringAssert.Contains(ex.Message, "entry 'network.bin' does not match the SHA-256 recorded");
        StringAssert.Contains(ex.Message, path);
    }

    [TestMethod]
    public void CheckpointOfAnotherFamily_IsRefused()
    {
        using var folder = new TempFolder();
        SaveCheckpoint(folder);
        var ex = Refused(folder, family: "Tsm");
        StringAssert.Contains(ex.Message, "different training configuration");
        StringAssert.Contains(ex.Message, "checkpoint: S3D");
        StringAssert.Contains(ex.Message, "this run:   Tsm");
    }

    [TestMethod]
    public void CheckpointZipBomb_EntryWhoseHeadersUnderstateItsSize_IsRefusedAfterABoundedRead()
    {
        using var folder = new TempFolder();
        string path = SaveCheckpoint(folder);
        using (var archive = ZipFile.Open(path, ZipArchiveMode.Update))
        {
            archive.GetEntry("optimizer.bin")!.Delete();
            using var output = archive.CreateEntry("optimizer.bin", CompressionLevel.Optimal).Open();
            var zeros = new byte[1 << 20];
            for (int i = 0; i < 256; i++)
                output.Write(zeros);
        }
        ZipEditing.UnderstateUncompressedSize(path, "optimizer.bin", 300);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var ex = Refused(folder);
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        StringAssert.Contains(ex.Message, path);
        StringAssert.Contains(ex.Message, "optimizer.bin");
        Assert.IsTrue(allocated < 32L << 20, $"reading a 256 MiB bomb allocated {allocated >> 20} MiB");
    }
}
