// This file runs the trained model over an archive on a cluster: each silo loads the zip once, leases shards of videos
// from the job's coordinator grain and commits one file per shard; results.jsonl holds one line per video at the end.
using MLNetVideo.Distributed.Hosting;
using MLNetVideo.Distributed.Jobs;

namespace ClusterScoring;

public static partial class ClusterScoringModel
{
    /// <summary>Scores <paramref name="videos"/> with <paramref name="modelPath"/> on a local cluster of
    /// <paramref name="silos"/> silos and prints progress (done / failed / rate / ETA) as it goes.</summary>
    /// <param name="modelPath">The model zip.</param>
    /// <param name="videos">The videos (full paths).</param>
    /// <param name="outputFolder">The job's output folder (rerunning into it resumes).</param>
    /// <param name="silos">Silos to start in this process.</param>
    /// <returns>The records, one per video, in input order.</returns>
    public static async Task<IReadOnlyList<VideoJobRecord>> ScoreOnClusterAsync(string modelPath, IReadOnlyList<string> videos, string outputFolder, int silos)
    {
        // One machine: N silos in this process on loopback ports. On several machines each runs a silo host with
        // siloBuilder.AddMLNetVideo(...) and a real clustering provider, and the client calls VideoJobs.RunAsync
        // (docs/components/Orleans.md).
        await using var cluster = await LocalVideoCluster.StartAsync(new LocalVideoClusterOptions
        {
            Silos = silos,
            StateFolder = Path.Combine(outputFolder, ".cluster-state"),   // grain state that survives a silo
        });
        var job = VideoJob.Score(modelPath, videos, outputFolder, shardSize: 4);
        int lastDone = -1;
        var final = await cluster.RunAsync(job, new ProgressLines(p =>
        {
            if (p.Done == lastDone) return;
            lastDone = p.Done;
            Console.WriteLine($"  {p}");                                      // e.g. "16/32 videos (0 failed), 5.1 videos/s, ETA 3 s"
        }));
        Console.WriteLine($"Finished: {final.Done} videos, {final.Failed} failed.");
        return JobOutput.ReadResults(outputFolder);
    }

    private sealed class ProgressLines(Action<VideoJobProgress> report) : IProgress<VideoJobProgress>
    {
        public void Report(VideoJobProgress value) => report(value);
    }
}
