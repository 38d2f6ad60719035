using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MLNetVideo.Distributed.Hosting;
using Orleans;
using Orleans.Runtime;

namespace MLNetVideo.Distributed.Jobs;

/// <summary>
/// The job worker of one silo: <see cref="MLNetVideoSiloOptions.MaxConcurrentShards"/> loops, each asking the running jobs'
/// coordinators for a shard, running it on this silo's model (<see cref="SiloModels"/>), committing its file and reporting
/// back, and renewing the lease while it works. When the silo stops (or dies) its loops stop without committing; the
/// coordinator hands their shards to other silos once the leases expire.
/// </summary>
internal sealed class VideoJobWorker(IGrainFactory grains, SiloModels models, MLNetVideoSiloOptions options, ILocalSiloDetails silo,
    ILogger<VideoJobWorker> logger) : BackgroundService
{
    private int _committed, _duplicates, _active;

    /// <summary>Shards this silo committed.</summary>
    public int ShardsCommitted => _committed;

    /// <summary>Shards this silo computed but found committed by another silo (the work was dropped).</summary>
    public int ShardsDuplicate => _duplicates;

    /// <summary>Shards under way on this silo now.</summary>
    public int ActiveShards => _active;

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.TorchThreads is int threads)
            MLNetVideo.VideoRuntime.Threads = threads; // applied at once, or at the first device resolution
        var loops = Enumerable.Range(0, options.EffectiveConcurrency)
            .Select(slot => Task.Factory.StartNew(() => RunSlotAsync($"{silo.SiloAddress}#{slot}", stoppingToken),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap());
        return Task.WhenAll(loops);
    }

    private async Task RunSlotAsync(string worker, CancellationToken stopping)
    {
        var registry = grains.GetGrain<IVideoJobRegistryGrain>(IVideoJobRegistryGrain.Key);
        while (!stopping.IsCancellationRequested)
        {
            bool worked = false;
            try
            {
                foreach (var jobId in await registry.GetActive().ConfigureAwait(false))
                {
                    var lease = await grains.GetGrain<IVideoJobGrain>(jobId).Lease(worker).ConfigureAwait(false);
                    if (lease is null) continue;
                    await RunLeaseAsync(lease, stopping).ConfigureAwait(false);
                    worked = true;
                    break;
                }
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The cluster is changing (a silo died, a grain is moving): ask again after the poll interval.
                logger.LogWarning("Job worker {Worker}: {Error}", worker, e.Message);
            }
            if (!worked)
            {
                try
                {
                    await Task.Delay(options.PollInterval, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RunLeaseAsync(ShardLease lease, CancellationToken stopping)
    {
        var coordinator = grains.GetGrain<IVideoJobGrain>(lease.JobId);
        using var held = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var renewing = RenewAsync(coordinator, lease, held);
        Interlocked.Increment(ref _active);
        try
        {
            var job = lease.Job;
            if (JobOutput.TryRead(job.OutputFolder, lease.Shard) is null)
            {
                // Decoding and forward passes block: give them a thread of their own rather than one of the pool's.
                var records = await Task.Factory.StartNew(() => ShardProcessor.Run(lease, models, held.Token), held.Token,
                    TaskCreationOptions.LongRunning, TaskScheduler.Default).ConfigureAwait(false);
                held.Token.ThrowIfCancellationRequested();   // stopping, or the lease went to another silo: commit nothing
                if (JobOutput.TryCommit(job.OutputFolder, lease.Shard, records)) Interlocked.Increment(ref _committed);
                else Interlocked.Increment(ref _duplicates);
            }
            await coordinator.Complete(lease.Shard, lease.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (held.IsCancellationRequested)
        {
            logger.LogInformation("Job {Job}: shard {Shard} abandoned on this silo (stopping or lease lost).", lease.JobId, lease.Shard);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            var reason = SiloModels.Innermost(e);
            logger.LogWarning("Job {Job}: shard {Shard} failed: {Error}", lease.JobId, lease.Shard, reason.Message);
            await coordinator.Fail(lease.Shard, lease.Token, reason.Message).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            await held.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }
    }

    private async Task RenewAsync(IVideoJobGrain coordinator, ShardLease lease, CancellationTokenSource held)
    {
        var period = lease.Job.LeaseTime / 3;
        try
        {
            while (true)
            {
                await Task.Delay(period, held.Token).ConfigureAwait(false);
                bool kept;
                try
                {
                    kept = await coordinator.Renew(lease.Shard, lease.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    continue;   // the coordinator is moving to another silo; the next renewal reaches it there
                }
                if (!kept)
                {
                    await held.CancelAsync().ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
