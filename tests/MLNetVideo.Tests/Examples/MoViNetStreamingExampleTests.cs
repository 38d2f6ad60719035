using System.Globalization;
using System.Text.RegularExpressions;
using MLNetVideo.Tests.TestSupport;
using MLNetVideo.Tests.Transforms;

namespace MLNetVideo.Tests.Examples;

/// <summary>Runs examples/MoViNetStreaming on tiny settings, as a user would (its built dll in a separate process).</summary>
[TestClass, TestCategory(TestCategories.Process)]
public sealed partial class MoViNetStreamingExampleTests
{
    public TestContext TestContext { get; set; } = null!;

    [GeneratedRegex(@"^t =\s+(\d+) s  top-3: (\w+) ([0-9.]+), (\w+) ([0-9.]+), (\w+) ([0-9.]+)$")]
    private static partial Regex SecondLine();

    [TestMethod, Timeout(120_000, CooperativeCancellation = true)]   // about 7 s on the idle 2-core machine
    public void Example_TrainsStreamsAFile_AndPrintsOneTop3LinePerSecond_ThenTheSameFromTheSavedZip()
    {
        string folder = TestVideos.NewFolder("movinet-example");
        try
        {
            // 1. No model, no video: trains the tiny model, writes a 3-second sample video and streams that file.
            var first = Run(["--out", folder, "--epochs", "1", "--videos-per-class", "2", "--seconds", "3"]);
            StringAssert.Contains(first, "Saved " + Path.Combine(folder, "movinet-stream.zip"));
            string video = Path.Combine(folder, "changing-motion.mp4");
            Assert.IsTrue(File.Exists(video), "the example streams a real file");
            var seconds = Seconds(first);
            Assert.AreEqual(3, seconds.Count, first);
            CollectionAssert.AreEqual(new[] { 1, 2, 3 }, seconds.Select(s => s.Second).ToArray());

            // 2. A given video and model zip: no training, the same file gives the same lines.
            var second = Run([video, "--model", Path.Combine(folder, "movinet-stream.zip"), "--out", Path.Combine(folder, "again")]);
            Assert.IsFalse(second.Contains("Training", StringComparison.Ordinal), second);
            CollectionAssert.AreEqual(seconds.Select(s => s.Line).ToArray(), Seconds(second).Select(s => s.Line).ToArray());
        }
        finally
        {
            TestVideos.DeleteFolder(folder);
        }
    }

    private static List<(int Second, string Line)> Seconds(string output)
    {
        var result = new List<(int, string)>();
        foreach (var line in output.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.StartsWith("t =", StringComparison.Ordinal)))
        {
            var match = SecondLine().Match(line);
            Assert.IsTrue(match.Success, $"unexpected line '{line}'");
            var labels = new[] { match.Groups[2].Value, match.Groups[4].Value, match.Groups[6].Value };
            var probabilities = new[] { 3, 5, 7 }.Select(g => double.Parse(match.Groups[g].Value, CultureInfo.InvariantCulture)).ToArray();
            CollectionAssert.AllItemsAreUnique(labels, line);
            foreach (var label in labels)
                CollectionAssert.Contains(new[] { "down", "left", "right", "up" }, label, line);
            Assert.IsTrue(probabilities.All(p => p is >= 0 and <= 1), line);
            Assert.IsTrue(probabilities[0] >= probabilities[1] && probabilities[1] >= probabilities[2], $"not best first: {line}");
            Assert.IsTrue(probabilities.Sum() <= 1.0005, line);
            result.Add((int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), line));
        }
        return result;
    }

    private string Run(string[] arguments)
    {
        // A shared 2-core machine: no OpenMP spinning.
        var (code, output) = ChildProcess.RunDotnet(ChildProcess.BuiltDll("examples/MoViNetStreaming", "MoViNetStreaming"), arguments,
            TimeSpan.FromMinutes(2), TestContext.CancellationToken, environment: new Dictionary<string, string> { ["OMP_NUM_THREADS"] = "1" });
        TestContext.WriteLine(output);
        Assert.AreEqual(0, code, output);
        return output;
    }
}
