namespace MLNetVideo.Distributed.Jobs;

/// <summary>The jobs that silos should work on (one grain, key <see cref="Key"/>).</summary>
public interface IVideoJobRegistryGrain : IGrainWithStringKey
{
    /// <summary>The registry's key.</summary>
    const string Key = "jobs";

    /// <summary>Adds a running job.</summary>
    /// <param name="jobId">The job.</param>
    /// <returns>A task.</returns>
    Task Add(string jobId);

    /// <summary>Removes a finished, failed or paused job.</summary>
    /// <param name="jobId">The job.</param>
    /// <returns>A task.</returns>
    Task Remove(string jobId);

    /// <summary>The running jobs.</summary>
    /// <returns>Their ids.</returns>
    Task<string[]> GetActive();
}
