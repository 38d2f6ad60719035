using System.IO.Compression;
using System.Reflection;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetVideo.Cli;
using MLNetVideo.Featurizers.Clip;
using MLNetVideo.Persistence;
using MLNetVideo.TestComponents;
using MLNetVideo.Tests.Trainers;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Transforms;
using MLNetVideo.Weights;
using TorchSharp;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 5: every refusal says why. ML.NET calls MLNetVideo's loader by reflection, so plain
/// <c>mlContext.Model.Load</c> reports any refusal as "TargetInvocationException: Exception has been thrown by the target of
/// an invocation." (pinned here). <c>mlContext.Model.Load(path, options, out schema)</c> throws the real exception, and
/// <c>mlnetvideo</c> prints one <c>error:</c> line and exits with 2, for each of: flipped bits, a hash mismatch, a
/// symbolic-link entry, an unknown assembly and a missing weights file.
/// </summary>
[TestClass, DoNotParallelize]
public sealed class LoadRefusalTests
{
    private static string _folder = null!;
    private static string _video = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = TestVideos.NewFolder("refusals");
        _video = TestVideos.WriteRamp(_folder, "clip", 8, 30);
    }

    [ClassCleanup]
    public static void Cleanup() => TestVideos.DeleteFolder(_folder);

    private static string SaveTinyModel(string zip) => TinyModels.SaveLinear(zip);

    private static string WeightsEntry(string zip) => ModelZipTampering.EntriesEndingWith(zip, "/Weights.bin").Single();

    /// <summary>The five damaged zips of the issue, each with the words its refusal must contain.</summary>
    private static IEnumerable<(string Name, Func<string, string> Make, string Expected, Type Type)> Cases()
    {
        yield return ("flipped bits", zip =>
        {
            // Stored uncompressed with one flipped bit and a valid zip CRC: only the manifest's SHA-256 can notice.
            string entry = WeightsEntry(zip);
            var bytes = ModelZipTampering.Read(zip, entry);
            bytes[^5] ^= 0x04;
            using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
            archive.GetEntry(entry)!.Delete();
            using var output = archive.CreateEntry(entry, CompressionLevel.NoCompression).Open();
            output.Write(bytes);
            return zip;
        }, "'Weights.bin' of component MLNetVideo.Tests.TinyLinear in the model zip is damaged or was modified", typeof(InvalidDataException));
        yield return ("hash mismatch", zip =>
        {
            ZipEditing.Rewrite(zip, n => n.EndsWith("/Settings.json", StringComparison.Ordinal), bytes => [.. bytes, (byte)' ']);
            return zip;
        }, "'Settings.json' of component MLNetVideo.Tests.TinyLinear in the model zip is damaged or was modified", typeof(InvalidDataException));
        yield return ("symbolic-link entry", zip =>
        {
            string entry = WeightsEntry(zip);
            var bytes = ModelZipTampering.Read(zip, entry);
            using var archive = ZipFile.Open(zip, ZipArchiveMode.Update);
            archive.GetEntry(entry)!.Delete();
            var link = archive.CreateEntry(entry);
            link.ExternalAttributes = unchecked((int)(0xA1FFu << 16));   // S_IFLNK | 0777
            using var output = link.Open();
            output.Write(bytes);
            return zip;
        }, "is a symbolic link; a model zip holds only files", typeof(InvalidDataException));
        yield return ("unknown assembly", zip =>
        {
            string key = WeightsEntry(zip)[..WeightsEntry(zip).LastIndexOf('/')] + "/Model.key";
            ZipEditing.Rewrite(zip, n => n == key, bytes =>
            {
                // Same length, so the length-prefixed string stays valid.
                int at = ZipEditing.IndexOf(bytes, Encoding.UTF8.GetBytes("MLNetVideo.TestComponents"));
                Encoding.UTF8.GetBytes("MLNetVideo.TestComponentz").CopyTo(bytes, at);
                return bytes;
            });
            return zip;
        }, "needs assembly MLNetVideo.TestComponentz", typeof(InvalidDataException));
        yield return ("missing weights file", zip =>
        {
            // A CLIP featurizer that refers to its weights file, which the loading application does not have.
            string weights = TinyModels.WriteTinyClipWeights(Path.Combine(Path.GetDirectoryName(zip)!, "clip-weights.safetensors"));
            var mlContext = new MLContext(seed: 1);
            var clips = SyntheticClips.Load(mlContext, SyntheticClips.Motion(1, seed: 1, frames: 2), frames: 2);
            using var model = mlContext.Transforms.FeaturizeVideoWithClip(new ClipFeaturizingEstimator.Options
            {
                InputLayout = ClipFrameLayout.Cthw, Variant = ClipVisionVariant.Tiny, WeightsPath = weights, LayersKept = 2, Device = "cpu",
            }).Fit(clips);
            mlContext.Model.SaveAtomically(model, clips.Schema, zip);
            File.Delete(weights);
            return zip;
        }, "needs its CLIP weights file 'clip-weights.safetensors'", typeof(FileNotFoundException));
    }

    [TestMethod]
    public void PlainModelLoad_WrapsEveryRefusal_TheRealReasonIsInside()
    {
        using var folder = new TempFolder();
        foreach (var (name, make, expected, type) in Cases())
        {
            string zip = make(SaveTinyModel(folder.File(name.Replace(' ', '-') + ".zip")));
            // Loading options whose WeightsFolder lacks the file, for the last case; the others fail before.
            using var scope = VideoModelLoadOptions.Bind(new VideoModelLoadOptions { WeightsFolder = folder.Path });
            var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, out _), name);
            Assert.IsInstanceOfType<TargetInvocationException>(e, $"{name}: ML.NET 5.0.1 wraps what its loader throws (pinned)");
            var cause = LoadErrors.Unwrap(e);
            Assert.IsInstanceOfType(cause, type, $"{name}: {cause}");
            StringAssert.Contains(cause.Message, expected, name);
        }
    }

    [TestMethod]
    public void MLNetVideoLoad_ThrowsTheRealException_ForEveryRefusal()
    {
        using var folder = new TempFolder();
        foreach (var (name, make, expected, type) in Cases())
        {
            string zip = make(SaveTinyModel(folder.File(name.Replace(' ', '-') + ".zip")));
            var e = Assert.Throws<Exception>(() => new MLContext().Model.Load(zip, new VideoModelLoadOptions { WeightsFolder = folder.Path }, out _), name);
            Assert.IsInstanceOfType(e, type, $"{name}: {e}");
            StringAssert.Contains(e.Message, expected, name);
            Assert.DoesNotContain("target of an invocation", e.Message, name);
        }
    }

    [TestMethod]
    public void Cli_PrintsOneErrorLine_AndExitsWith2_ForEveryRefusal()
    {
        using var folder = new TempFolder();
        foreach (var (name, make, expected, _) in Cases())
        {
            string zip = make(SaveTinyModel(folder.File(name.Replace(' ', '-') + ".zip")));
            var (exit, _, error) = CliRun.Run("predict", "--model", zip, _video);
            string text = error.Trim();
            Assert.AreEqual(CliApp.InputError, exit, $"{name}: {text}");
            Assert.HasCount(1, text.Split('\n'), $"{name}: {text}");
            Assert.StartsWith("error: --model: cannot load", text, name);
            StringAssert.Contains(text, expected, name);
            Assert.DoesNotContain("TargetInvocationException", text, name);
            Assert.DoesNotContain("   at ", text, name);
        }
    }
}
