using Orleans;
using Orleans.Runtime;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>Runs <see cref="VideoJob"/>s on a cluster from a client (or from anywhere that has an <see cref="IGrainFactory"/>).</summary>
public static class VideoJobs
{
    /// <summary>
    /// Starts (or resumes) <paramref name="job"/> and waits for it, reporting progress every <paramref name="pollInterval"/>.
    /// Calls that fail while the cluster recovers from a silo failure are retried for up to <paramref name="maxOutage"/>.
    /// Cancelling pauses the job (shards under way still commit); running it again resumes from its output.
    /// </summary>
    /// <param name="grains">The cluster client.</param>
    /// <param name="job">The job.</param>
    /// <param name="progress">Receives the progress (done / failed / rate / ETA); null for none.</param>
    /// <param name="pollInterval">How often progress is asked for; default 1 s.</param>
    /// <param name="maxOutage">How long the coordinator may stay unreachable; default 2 min.</param>
    /// <param name="cancellationToken">Pauses the job.</param>
    /// <returns>The final progress (<see cref="VideoJobProgress.Finished"/>); the records are in
    /// <see cref="JobOutput.ReadResults"/>(<see cref="VideoJob.OutputFolder"/>).</returns>
    /// <exception cref="InvalidOperationException">The job stopped: a shard failed <see cref="VideoJob.MaxShardAttempts"/> times
    /// (the message says why), or the output folder holds a different job.</exception>
    public static async Task<VideoJobProgress> RunAsync(IGrainFactory grains, VideoJob job, IProgress<VideoJobProgress>? progress = null,
        TimeSpan? pollInterval = null, TimeSpan? maxOutage = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(job);
        job.Validate();
        var coordinator = grains.GetGrain<IVideoJobGrain>(job.JobId);
        var poll = pollInterval ?? TimeSpan.FromSeconds(1);
        var outage = maxOutage ?? TimeSpan.FromMinutes(2);
        var current = await RetryAsync(() => coordinator.Start(job), outage, poll, cancellationToken).ConfigureAwait(false);
        try
        {
            while (true)
            {
                progress?.Report(current);
                if (current.Error is { } error)
                    throw new InvalidOperationException($"The job into '{job.OutputFolder}' stopped: {error}");
                if (current.Finished) return current;
                await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
                current = await RetryAsync(coordinator.GetProgress, outage, poll, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            try
            {
                await coordinator.Pause().WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException)
            {
                // The job stays registered; its shards finish and a later run finds them.
            }
            throw;
        }
    }

    private static async Task<T> RetryAsync<T>(Func<Task<T>> call, TimeSpan outage, TimeSpan poll, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + outage;
        while (true)
        {
            try
            {
                return await call().WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OrleansException or TimeoutException && DateTime.UtcNow < deadline)
            {
                // A silo left: its grains reactivate elsewhere once the cluster has noticed.
                await Task.Delay(poll, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
