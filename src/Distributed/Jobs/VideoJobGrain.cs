using Microsoft.Extensions.Logging;
using MLNetVideo.Distributed.Hosting;

namespace MLNetVideo.Distributed.Jobs;

internal sealed class VideoJobGrain(
    [PersistentState("job", MLNetVideoSilo.StorageName)] IPersistentState<VideoJobState> state,
    ILogger<VideoJobGrain> logger) : Grain, IVideoJobGrain
{
    private enum ShardStatus { Pending, Leased, Done }

    private sealed class Shard
    {
        public ShardStatus Status;
        public Guid Token;
        public DateTime Expiry;
        public int Attempts;
    }

    private Shard[] _shards = [];
    private int _done, _failed, _released, _doneThisActivation;
    private DateTime? _firstResult;
    private bool _paused;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.Job is { } job)
            await LoadOutputAsync(job).ConfigureAwait(true);
    }

    public async Task<VideoJobProgress> Start(VideoJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.Validate();
        if (job.JobId != this.GetPrimaryKeyString())
            throw new ArgumentException($"Job {job.JobId} was sent to the coordinator of {this.GetPrimaryKeyString()}.", nameof(job));
        await Task.Run(() => JobOutput.Prepare(job)).ConfigureAwait(true);
        bool running = state.State.Job is { } current && current.Fingerprint() == job.Fingerprint() && !state.State.Finished && state.State.Error is null;
        if (!running)
        {
            // A new job, a rerun of a finished or failed one: the output folder says what is done (shard files may have
            // been deleted to recompute them).
            state.State = new VideoJobState { Job = job };
            await LoadOutputAsync(job).ConfigureAwait(true);
            await state.WriteStateAsync().ConfigureAwait(true);
        }
        _paused = false;
        await FinishIfCompleteAsync().ConfigureAwait(true);
        if (!state.State.Finished)
            await Registry.Add(job.JobId).ConfigureAwait(true);
        return Progress();
    }

    public Task<ShardLease?> Lease(string worker)
    {
        if (state.State.Job is not { } job || state.State.Finished || state.State.Error is not null || _paused)
            return Task.FromResult<ShardLease?>(null);
        var now = DateTime.UtcNow;
        for (int i = 0; i < _shards.Length; i++)
        {
            var shard = _shards[i];
            if (shard.Status == ShardStatus.Leased && shard.Expiry < now)
            {
                logger.LogWarning("Job {Job}: the lease of shard {Shard} expired; handing it out again.", job.JobId, i);
                shard.Status = ShardStatus.Pending;
                _released++;
            }
            if (shard.Status != ShardStatus.Pending) continue;
            shard.Status = ShardStatus.Leased;
            shard.Token = Guid.NewGuid();
            shard.Expiry = now + job.LeaseTime;
            logger.LogDebug("Job {Job}: shard {Shard} leased to {Worker}.", job.JobId, i, worker);
            int first = i * job.ShardSize;
            var videos = job.Videos.Skip(first).Take(job.ShardSize).ToArray();
            return Task.FromResult<ShardLease?>(new ShardLease { JobId = job.JobId, Shard = i, Token = shard.Token, Job = job with { Videos = videos }, FirstIndex = first });
        }
        return Task.FromResult<ShardLease?>(null);
    }

    public Task<bool> Renew(int shard, Guid token)
    {
        if (state.State.Job is not { } job || shard < 0 || shard >= _shards.Length) return Task.FromResult(false);
        var s = _shards[shard];
        if (s.Status == ShardStatus.Pending && !_paused && state.State.Error is null)
        {
            // A worker still computing a shard this coordinator does not know as leased (it reactivated after a failure,
            // or the lease had just expired): it keeps the shard rather than have the work done twice.
            s.Status = ShardStatus.Leased;
            s.Token = token;
        }
        if (s.Status != ShardStatus.Leased || s.Token != token) return Task.FromResult(false);
        s.Expiry = DateTime.UtcNow + job.LeaseTime;
        return Task.FromResult(true);
    }

    public async Task Complete(int shard, Guid token)
    {
        if (state.State.Job is not { } job || shard < 0 || shard >= _shards.Length || _shards[shard].Status == ShardStatus.Done) return;
        // Whoever committed it, the shard file is there now: count it from the file (the one commit that won).
        var records = await Task.Run(() => JobOutput.TryRead(job.OutputFolder, shard)).ConfigureAwait(true);
        if (records is null) return;
        _shards[shard].Status = ShardStatus.Done;
        _done += records.Count;
        _failed += records.Count(r => !r.Ok);
        _doneThisActivation += records.Count;
        _firstResult ??= DateTime.UtcNow;
        await FinishIfCompleteAsync().ConfigureAwait(true);
    }

    public async Task Fail(int shard, Guid token, string error)
    {
        if (state.State.Job is not { } job || shard < 0 || shard >= _shards.Length) return;
        var s = _shards[shard];
        if (s.Status != ShardStatus.Leased || s.Token != token) return;
        s.Status = ShardStatus.Pending;
        s.Attempts++;
        logger.LogWarning("Job {Job}: shard {Shard} failed (attempt {Attempt}): {Error}", job.JobId, shard, s.Attempts, error);
        if (s.Attempts >= job.MaxShardAttempts)
        {
            state.State.Error = $"Shard {shard} failed {s.Attempts} times; last error: {error}";
            await state.WriteStateAsync().ConfigureAwait(true);
            await Registry.Remove(job.JobId).ConfigureAwait(true);
        }
    }

    public async Task Pause()
    {
        _paused = true;
        if (state.State.Job is { } job)
            await Registry.Remove(job.JobId).ConfigureAwait(true);
    }

    public Task<VideoJobProgress> GetProgress() => Task.FromResult(Progress());

    private IVideoJobRegistryGrain Registry => GrainFactory.GetGrain<IVideoJobRegistryGrain>(IVideoJobRegistryGrain.Key);

    private VideoJobProgress Progress()
    {
        int total = state.State.Job?.Videos.Count ?? 0;
        double rate = 0;
        if (_firstResult is { } first && _doneThisActivation > 0)
        {
            double seconds = (DateTime.UtcNow - first).TotalSeconds;
            // The first shard's videos arrive at once: count the rate over the ones after it when there is time to.
            rate = seconds > 0.5 ? _doneThisActivation / seconds : 0;
        }
        return new VideoJobProgress
        {
            JobId = this.GetPrimaryKeyString(),
            Total = total,
            Done = _done,
            Failed = _failed,
            ShardsInFlight = _shards.Count(s => s.Status == ShardStatus.Leased),
            ShardsReleased = _released,
            VideosPerSecond = rate,
            Eta = rate > 0 ? TimeSpan.FromSeconds((total - _done) / rate) : null,
            Finished = state.State.Finished,
            Error = state.State.Error,
            CoordinatorSilo = RuntimeIdentity,
        };
    }

    private async Task LoadOutputAsync(VideoJob job)
    {
        _shards = Enumerable.Range(0, job.ShardCount).Select(_ => new Shard()).ToArray();
        _done = _failed = 0;
        var committed = await Task.Run(() => Enumerable.Range(0, job.ShardCount).Select(i => JobOutput.TryRead(job.OutputFolder, i)).ToArray()).ConfigureAwait(true);
        for (int i = 0; i < committed.Length; i++)
        {
            if (committed[i] is not { } records) continue;
            _shards[i].Status = ShardStatus.Done;
            _done += records.Count;
            _failed += records.Count(r => !r.Ok);
        }
    }

    private async Task FinishIfCompleteAsync()
    {
        if (state.State.Finished || state.State.Job is not { } job || _shards.Any(s => s.Status != ShardStatus.Done)) return;
        await Task.Run(() => JobOutput.Merge(job)).ConfigureAwait(true);
        state.State.Finished = true;
        await state.WriteStateAsync().ConfigureAwait(true);
        await Registry.Remove(job.JobId).ConfigureAwait(true);
        logger.LogInformation("Job {Job} finished: {Done} videos, {Failed} failed.", job.JobId, _done, _failed);
    }
}
