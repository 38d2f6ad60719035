using Microsoft.ML;
using MLNetVideo.Cli;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Transforms.SampleData;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 15, item 6: training never destroys the previous model and fails early. <c>mlnetvideo train</c> checks that the
/// model's folder is writable and decodes the held-out videos before it trains (an unreadable test video used to surface only
/// after training, with no model saved); the save itself is atomic (<see cref="AtomicSaveTests.CliTrainSave_OnAFullDisk_KeepsThePreviousModel_WithOneLine"/>).
/// </summary>
[TestClass, DoNotParallelize]
public sealed class TrainCommandSafetyTests
{
    private static TempFolder _folder = null!;
    private static string _data = null!;

    [ClassInitialize]
    public static void Generate(TestContext _)
    {
        _folder = new TempFolder("mlnv-train-safety");
        _data = _folder.File("data");
        SyntheticActionVideos.Generate(_data, new SyntheticActionOptions
        {
            VideosPerClass = 4, Classes = [SyntheticAction.Left, SyntheticAction.Right], Frames = 8, Size = 32, Seed = 7,
        });
    }

    [ClassCleanup]
    public static void Cleanup() => _folder?.Dispose();

    private static (int Code, string Out, string Error) Cli(params string[] args) => CliRun.Run(args);

    [TestMethod]
    public void OutputFolderThatCannotBeWritten_StopsBeforeAnythingIsDecodedOrTrained()
    {
        string blocker = _folder.File("not-a-folder");
        File.WriteAllText(blocker, "a file where the output folder should be");
        var (code, output, error) = Cli("train", "--data", _data, "--model", "s3dg", "--epochs", "1", "--output", Path.Combine(blocker, "model.zip"), "--device", "cpu");
        Assert.AreEqual(CliApp.InputError, code, error + output);
        StringAssert.StartsWith(error.Trim(), "error: --output: cannot write in the folder");
        Assert.DoesNotContain("decoding", output);
        Assert.DoesNotContain("Training ", output);
    }

    [TestMethod]
    public void UndecodableHeldOutVideo_StopsBeforeTraining_NamingTheFile()
    {
        string data = _folder.File("data-with-a-broken-test-video");
        CopyFolder(_data, data);
        // The held-out quarter, exactly as `train` splits it (split seed 3).
        var mlContext = new MLContext();
        var rows = VideoData.Labelled(data);
        var split = mlContext.Data.TrainTestSplit(VideoData.Load(mlContext, rows), 0.5, seed: 3);
        string broken = mlContext.Data.CreateEnumerable<MLNetVideo.Transforms.Datasets.VideoDatasetRow>(split.TestSet, reuseRowObject: false).First().VideoPath;
        File.WriteAllBytes(broken, [.. Enumerable.Repeat((byte)0x5A, (int)new FileInfo(broken).Length)]);
        string model = _folder.File("broken-test/model.zip");

        var (code, output, error) = Cli("train", "--data", data, "--model", "s3dg", "--epochs", "1", "--test-fraction", "0.5", "--output", model, "--device", "cpu");
        Assert.AreEqual(CliApp.InputError, code, error + output);
        StringAssert.StartsWith(error.Trim(), "error:");
        StringAssert.Contains(error, broken);
        Assert.DoesNotContain("Training s3dg", output, "training must not start");
        Assert.IsFalse(File.Exists(model));
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
