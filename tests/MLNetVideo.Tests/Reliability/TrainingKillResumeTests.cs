using System.Diagnostics;
using MLNetVideo.Trainers;
using MLNetVideo.Tests.TestSupport;

namespace MLNetVideo.Tests.Reliability;

/// <summary>
/// Issue 10, item 3: a training process (tests/TrainingHost: tiny S3D-G, CPU, seed 3, a checkpoint after every epoch)
/// is killed with SIGKILL in the middle of an epoch after its first checkpoint, resumed in a new process, and ends with
/// weights byte-identical to an uninterrupted run's. The in-process variant and the damaged / mismatched checkpoint
/// cases are <c>S3DTrainerTests.InterruptedTraining_…</c>, <c>S3DTrainerTests.DamagedOrMismatchedCheckpoints_AreRefused</c>
/// and <c>ModelFileAttackTests.*Checkpoint*</c>.
/// </summary>
[TestClass, DoNotParallelize, TestCategory(TestCategories.Process)]
public sealed class TrainingKillResumeTests
{
    private const int Epochs = 4;

    internal static string HostPath()
    {
        // tests/MLNetVideo.Tests/bin/<Configuration>/net10.0/ → tests/TrainingHost/bin/<Configuration>/net10.0/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string testsRoot = output.Parent!.Parent!.Parent!.Parent!.FullName;
        string path = Path.Combine(testsRoot, "TrainingHost", "bin", output.Parent!.Name, output.Name, "MLNetVideo.TrainingHost.dll");
        Assert.IsTrue(File.Exists(path), $"training host not built at {path}");
        return path;
    }

    private static Process Start(string checkpoints, string weights, bool resume)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { HostPath(), checkpoints, Epochs.ToString(System.Globalization.CultureInfo.InvariantCulture), weights })
            start.ArgumentList.Add(a);
        if (resume)
            start.ArgumentList.Add("--resume");
        return Process.Start(start)!;
    }

    private static List<string> RunToEnd(Process process)
    {
        var stderr = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
            lines.Add(line);
        Assert.IsTrue(process.WaitForExit(90_000), "training host timed out");   // about 4 s idle
        Assert.AreEqual(0, process.ExitCode, stderr.Result);
        Assert.AreEqual("done", lines[^1]);
        return lines;
    }

    private static Dictionary<string, byte[]> Entries(string zip)
    {
        using var archive = System.IO.Compression.ZipFile.OpenRead(zip);
        return archive.Entries.Where(e => e.Length > 0).ToDictionary(e => e.FullName, e =>
        {
            using var stream = e.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return buffer.ToArray();
        });
    }

    [TestMethod]
    public void KilledMidEpoch_ResumedInANewProcess_EndsWithTheUninterruptedWeights()
    {
        using var folder = new TestSupport.TempFolder("mlnv-kill");
        string straightWeights = folder.File("straight.zip"), resumedWeights = folder.File("resumed.zip");
        string straightCheckpoints = folder.File("straight-ckpt"), checkpoints = folder.File("ckpt");

        using var straight = Start(straightCheckpoints, straightWeights, resume: false);
        var straightRun = Task.Run(() => RunToEnd(straight));

        // Interrupted run: after "epoch 1" (its checkpoint is on disk) wait until epoch 2 has read two rows, then SIGKILL.
        int killedInEpoch;
        using (var victim = Start(checkpoints, folder.File("never.zip"), resume: false))
        {
            _ = victim.StandardError.ReadToEndAsync();
            int epochsDone = 0, rowsSince = 0;
            while (victim.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("epoch ", StringComparison.Ordinal))
                {
                    epochsDone = int.Parse(line[6..], System.Globalization.CultureInfo.InvariantCulture);
                    rowsSince = 0;
                }
                else if (line == "row" && epochsDone >= 1 && ++rowsSince == 2)
                    break;
            }
            Assert.IsTrue(epochsDone is >= 1 and < Epochs, $"the host finished {epochsDone} epochs before it could be killed");
            victim.Kill(entireProcessTree: true);   // SIGKILL: no finally blocks, no flushing
            Assert.IsTrue(victim.WaitForExit(30_000));
            killedInEpoch = epochsDone + 1;
        }
        Assert.IsTrue(File.Exists(TrainingCheckpoint.PathIn(checkpoints)), "the first checkpoint must survive the kill");
        Assert.IsFalse(File.Exists(folder.File("never.zip")));
        var leftovers = Directory.GetFiles(checkpoints).Select(Path.GetFileName).Where(n => n != TrainingCheckpoint.FileName).ToArray();

        using var resumed = Start(checkpoints, resumedWeights, resume: true);
        var resumedLines = RunToEnd(resumed);
        var resumedAfter = resumedLines.Single(l => l.StartsWith("resumed-after ", StringComparison.Ordinal));
        int from = int.Parse(resumedAfter["resumed-after ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.IsTrue(from >= 1 && from < killedInEpoch, $"resumed after epoch {from}, killed in epoch {killedInEpoch}");
        CollectionAssert.AreEqual(Enumerable.Range(from + 1, Epochs - from).Select(e => $"epoch {e}").ToArray(),
            resumedLines.Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).ToArray());

        Assert.IsTrue(straightRun.Wait(300_000), "the uninterrupted run did not finish");
        // The model zips hold the same entries with the same bytes (settings, key names and TorchSharp weights).
        var expected = Entries(straightWeights);
        var actual = Entries(resumedWeights);
        CollectionAssert.AreEquivalent(expected.Keys.ToList(), actual.Keys.ToList());
        long weightBytes = 0;
        foreach (var (name, bytes) in expected)
        {
            Assert.IsTrue(bytes.AsSpan().SequenceEqual(actual[name]), $"entry {name} differs: the resumed run must end bit-identical to the uninterrupted one");
            weightBytes = Math.Max(weightBytes, bytes.Length);
        }
        Assert.IsTrue(weightBytes > 10_000, "the weights entry must be compared");
        Console.WriteLine($"killed in epoch {killedInEpoch}, resumed after epoch {from}; {expected.Count} zip entries identical (largest {weightBytes} bytes); " +
            $"temporary files left by the kill: {(leftovers.Length == 0 ? "none" : string.Join(", ", leftovers))}");
    }
}
