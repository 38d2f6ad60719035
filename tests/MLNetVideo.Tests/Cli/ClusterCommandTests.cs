using MLNetVideo.Cli;
using MLNetVideo.Distributed.Jobs;
using MLNetVideo.Tests.Distributed;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Cli;

/// <summary><c>mlnetvideo cluster score|featurize</c> on a local cluster (real loopback sockets), and the ClusterScoring example.</summary>
[TestClass, TestCategory(TestCategories.Process)]
[DoNotParallelize]
public sealed class ClusterCommandTests
{
    private static TempFolder s_folder = null!;
    private static string s_videos = null!;
    private static string s_model = null!;

    [ClassInitialize]
    public static void CreateVideosAndModel(TestContext _)
    {
        s_folder = new TempFolder("mlnv-cluster-cli");
        s_videos = s_folder.File("videos");
        var videos = ClusterTestSupport.Videos(s_videos, perClass: 3);
        s_model = ClusterTestSupport.TrainScorer(s_folder.Path, videos);
    }

    [ClassCleanup]
    public static void Delete() => s_folder?.Dispose();

    private static (int Code, string Out, string Error) Cli(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [TestMethod]
    public void ClusterScore_OnTwoSilos_WritesOneLinePerVideo_EqualToTransformInOneProcess()
    {
        using var work = new TempFolder("mlnv-cli-score");
        var (code, output, error) = Cli("cluster", "score", "--model", s_model, "--videos", s_videos, "--output", work.File("out"), "--silos", "2", "--shard-size", "3");
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "Score job: 12 videos in 4 shards of 3 on 2 silos");
        StringAssert.Contains(output, "12/12 videos (0 failed)");
        StringAssert.Contains(output, "finished");
        var records = JobOutput.ReadResults(work.File("out"));
        var listed = VideoList.FromFolder(s_videos);
        CollectionAssert.AreEqual(listed.ToArray(), records.Select(r => r.Video).ToArray());
        var expected = ClusterTestSupport.TransformInOneProcess(s_model, listed);
        for (int i = 0; i < records.Count; i++)
        {
            Assert.AreEqual(expected[i].Label, records[i].Label);
            for (int c = 0; c < expected[i].Scores.Length; c++) Assert.AreEqual(expected[i].Scores[c], records[i].Scores![c], 1e-5);
        }
    }

    [TestMethod]
    public void ClusterScore_BadInputs_AreOneErrorLine_OrRecorded()
    {
        using var work = new TempFolder("mlnv-cli-bad");
        var missingModel = Cli("cluster", "score", "--model", work.File("none.zip"), "--videos", s_videos, "--output", work.File("out"));
        Assert.AreEqual(2, missingModel.Code);
        StringAssert.Contains(missingModel.Error, "error: --model: the file");

        var noVideos = Cli("cluster", "score", "--model", s_model, "--videos", work.File("nothing.txt"), "--output", work.File("out"));
        Assert.AreEqual(2, noVideos.Code);
        StringAssert.Contains(noVideos.Error, "nothing.txt");

        // A list with a missing file: the job still finishes, and that video's line says why.
        var first = VideoList.FromFolder(s_videos)[0];
        File.WriteAllLines(work.File("list.txt"), [first, work.File("gone.mp4")]);
        var (code, output, error) = Cli("cluster", "score", "--model", s_model, "--videos", work.File("list.txt"), "--output", work.File("out2"), "--silos", "1");
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "2/2 videos (1 failed)");
        var records = JobOutput.ReadResults(work.File("out2"));
        Assert.IsTrue(records[0].Ok);
        Assert.IsFalse(records[1].Ok);
        StringAssert.Contains(records[1].Error, "gone.mp4");
    }

    [TestMethod]
    public void ClusterFeaturize_FillsTheFeatureCache()
    {
        using var work = new TempFolder("mlnv-cli-feat");
        var (code, output, error) = Cli("cluster", "featurize", "--videos", s_videos, "--output", work.File("out"), "--cache", work.File("cache"),
            "--frames", "4", "--layers", "2", "--silos", "2", "--shard-size", "4");
        Assert.AreEqual(0, code, error + output);
        StringAssert.Contains(output, "tiny random CLIP");
        StringAssert.Contains(output, "12/12 videos (0 failed)");
        Assert.AreEqual(12, Directory.EnumerateFiles(work.File("cache"), "*.clipfeat", SearchOption.AllDirectories).Count());
        CollectionAssert.AreEqual(new[] { 6, 4, 17, 64 }, JobOutput.ReadResults(work.File("out"))[0].FeatureShape);
    }

    [TestMethod]
    public void ClusterScoringExample_TrainsScoresAndReportsEveryVideo()
    {
        // Two videos of each motion (8 videos, two shards of 4, one per silo): the job is the same, only the archive is smaller.
        using var work = new TempFolder("mlnv-example-cluster");
        var (code, output) = FirstHourSmokeTests.RunExample("ClusterScoring", "--epochs", "1", "--videos-per-class", "2", "--output", work.Path, "--silos", "2");
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "8 videos in");
        StringAssert.Contains(output, "8/8 videos (0 failed)");
        StringAssert.Contains(output, "Finished: 8 videos, 0 failed.");
        Assert.AreEqual(8, JobOutput.ReadResults(Path.Combine(work.Path, "scores")).Count);
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"\d+/8 labelled as their folder"));
    }
}
