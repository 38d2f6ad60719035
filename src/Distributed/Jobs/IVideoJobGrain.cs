namespace MLNetVideo.Distributed.Jobs;

/// <summary>The coordinator of one job (key: <see cref="VideoJob.JobId"/>): the table of shards, their leases and the
/// counts. Its state (the job) is in grain storage and its progress in the output folder, so it reactivates on another
/// silo after a failure and carries on.</summary>
public interface IVideoJobGrain : IGrainWithStringKey
{
    /// <summary>Starts the job, or resumes it when it was started before (same output folder, same job).</summary>
    /// <param name="job">The job.</param>
    /// <returns>The progress.</returns>
    Task<VideoJobProgress> Start(VideoJob job);

    /// <summary>Hands the first pending shard to <paramref name="worker"/>; null when none is pending.</summary>
    /// <param name="worker">Who asks (silo and slot), for the log.</param>
    /// <returns>The lease or null.</returns>
    Task<ShardLease?> Lease(string worker);

    /// <summary>Extends a lease by the job's lease time; false when the lease is no longer this worker's (then it stops).</summary>
    /// <param name="shard">The shard.</param>
    /// <param name="token">The lease token.</param>
    /// <returns>Whether the lease is still held.</returns>
    Task<bool> Renew(int shard, Guid token);

    /// <summary>Reports that the shard's file is committed (by this worker or, before it, by another).</summary>
    /// <param name="shard">The shard.</param>
    /// <param name="token">The lease token.</param>
    /// <returns>A task.</returns>
    Task Complete(int shard, Guid token);

    /// <summary>Reports that the shard failed as a whole (not a single video: those are recorded).</summary>
    /// <param name="shard">The shard.</param>
    /// <param name="token">The lease token.</param>
    /// <param name="error">Why.</param>
    /// <returns>A task.</returns>
    Task Fail(int shard, Guid token, string error);

    /// <summary>Stops handing out shards (shards under way still commit); <see cref="Start"/> resumes.</summary>
    /// <returns>A task.</returns>
    Task Pause();

    /// <summary>The progress.</summary>
    /// <returns>Done / failed / rate / ETA.</returns>
    Task<VideoJobProgress> GetProgress();
}
